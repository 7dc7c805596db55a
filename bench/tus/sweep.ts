/**
 * The fs tus store's removal cost against the number of uploads on disk (`tsx bench/tus/sweep.ts`),
 * in-process on a temp dir: for each N in BENCH_TUS_N (default 500,1000,2000,4000), N expired
 * uploads (data + `<id>.json`) are removed three ways, side by side in one run on fresh copies:
 * - sweep: `deleteExpired` (one listing of the directory for all its removals);
 * - remove each: `remove(id)` per upload (no listing: markers are in `<id>.locks`);
 * - listing per removal: `readdir` of the directory + `remove(id)` per upload — a model of the
 *   code before this round, whose remove listed the directory to find the upload's markers.
 * Prints wall and CPU µs per removed upload (CPU of this process: every thread, libuv's too),
 * the names read per removal, and the model's CPU over remove each's (the same work but the
 * listing). Flat columns as N grows are what "independent of how many other uploads exist"
 * means; the model's grow with N. (The sweep also reads each `<id>.json` and stats the data.)
 */
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Upload } from '@tus/utils';
import { LockingFileStore } from '../../src/http/stream/tus/file-store.js';

const SIZES = (process.env.BENCH_TUS_N ?? '500,1000,2000,4000').split(',').map(Number);
const EXPIRY_MS = 60_000;

/** A directory holding `n` uploads last written an hour ago; their ids. */
async function seed(n: number): Promise<{ dir: string; ids: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-tus-'));
  const store = new LockingFileStore({ directory: dir });
  const past = new Date(Date.now() - 3_600_000);
  const ids = Array.from({ length: n }, (_, i) => `u${i.toString(16).padStart(8, '0')}`);
  for (const id of ids) {
    await store.create(new Upload({ id, size: 1, offset: 0, creation_date: past.toISOString() }));
    await utimes(join(dir, id), past, past);
  }
  return { dir, ids };
}

async function timed(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}

const rows: string[] = [];
// The first size once more, unrecorded, ahead: JIT warm-up would otherwise land on its rows.
for (const [i, n] of [SIZES[0]!, ...SIZES].entries()) {
  const ways: Record<string, (dir: string, ids: string[]) => Promise<unknown>> = {
    sweep: (dir) =>
      new LockingFileStore({ directory: dir, expirationPeriodInMilliseconds: EXPIRY_MS })
        .deleteExpired()
        .then((removed) => {
          if (removed !== n) throw new Error(`the sweep removed ${removed} of ${n}`);
        }),
    'remove each': async (dir, ids) => {
      const store = new LockingFileStore({ directory: dir });
      for (const id of ids) await store.remove(id);
    },
    'listing per removal (the code before)': async (dir, ids) => {
      const store = new LockingFileStore({ directory: dir });
      for (const id of ids) {
        await readdir(dir);
        await store.remove(id);
      }
    },
  };
  const cpu: Record<string, number> = {};
  for (const [name, way] of Object.entries(ways)) {
    const { dir, ids } = await seed(n);
    try {
      const t = await timed(() => way(dir, ids));
      cpu[name] = t.cpu;
      // Names read per removal: one listing of 2n names per sweep, or per removal (2n shrinking
      // to 2 as uploads go: n + 1 on average), or none.
      const names = name === 'sweep' ? (2 * n) / n : name === 'remove each' ? 0 : n + 1;
      const us = (ms: number) => ((ms / n) * 1000).toFixed(1);
      if (i > 0) rows.push(`| ${n} | ${name} | ${us(t.wall)} | ${us(t.cpu)} | ${names} |`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const ratio = cpu['listing per removal (the code before)']! / cpu['remove each']!;
  if (i > 0)
    rows.push(`| ${n} | listing per removal ÷ remove each (CPU) | | ${ratio.toFixed(1)}× | |`);
}
process.stdout.write(
  [
    `${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}`,
    '| uploads | way | wall µs per removal | CPU µs per removal | names read per removal |',
    '|---:|---|---:|---:|---:|',
    ...rows,
    `load average: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
    '',
  ].join('\n'),
);
