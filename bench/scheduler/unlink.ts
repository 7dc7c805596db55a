/**
 * The deletion task's blob step on the filesystem store (`tsx bench/scheduler/unlink.ts`):
 * `delete` (async unlinks, a missing file answered by an ENOENT error) against `deleteInPool`
 * (an access(2) per path first, async unlink only for a present file), each over a video and its
 * poster pair as deletion.task.ts calls them, for videos with a poster (all four files present)
 * and without (the poster pair missing). Rounds interleave the two calls in alternating order;
 * prints the median CPU µs per deletion of the whole process (the threadpool's unlinks included)
 * and deleteInPool's ratio to delete. BENCH_N videos per round (600), BENCH_ROUNDS rounds (14).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore, posterBlobId } from '../../src/store/index.js';
import { median } from '../stats.js';

const N = Number(process.env.BENCH_N ?? 600);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 14);
const CALLS = ['delete', 'deleteInPool'] as const;

const dir = await mkdtemp(join(tmpdir(), 'bench-sched-unlink-'));
try {
  const blobs = await FsBlobStore.open({ dir });
  /** `N` videos of 1 KiB, each with a poster of 1 KiB when `poster` (untimed). */
  async function seed(poster: boolean): Promise<string[]> {
    const ids = Array.from({ length: N }, () => randomUUID());
    for (const id of ids) {
      for (const blob of poster ? [id, posterBlobId(id)] : [id]) {
        const w = await blobs.createWriter(blob, { contentType: 'video/mp4' });
        await w.write(Buffer.alloc(1024, 1));
        await w.commit();
      }
    }
    return ids;
  }
  const cpu = new Map<string, number[]>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const poster of [true, false]) {
      for (const call of r % 2 === 0 ? CALLS : [...CALLS].reverse()) {
        const ids = await seed(poster);
        const del = (id: string) => (call === 'delete' ? blobs.delete(id) : blobs.deleteInPool(id));
        const c0 = process.cpuUsage();
        await Promise.all(ids.map((id) => Promise.all([del(id), del(posterBlobId(id))])));
        const c = process.cpuUsage(c0);
        const key = `${call} | ${poster ? 'with' : 'without'}`;
        cpu.set(key, [...(cpu.get(key) ?? []), (c.user + c.system) / N]);
      }
    }
  }
  const rows = [...cpu].map(([key, xs]) => {
    const base = median(cpu.get(`delete | ${key.split(' | ')[1]}`)!);
    return `| ${key} | ${median(xs).toFixed(1)} | ${(median(xs) / base).toFixed(2)}× |`;
  });
  process.stdout.write(
    [
      `${N} videos × ${ROUNDS} rounds per row, CPU µs per deletion (median of the rounds)`,
      '| call | poster | CPU µs per deletion | × delete |',
      '|---|---|---:|---:|',
      ...rows.sort(),
      `load average: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
      '',
    ].join('\n'),
  );
  await blobs.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
