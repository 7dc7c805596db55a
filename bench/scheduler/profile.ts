/**
 * Where a deletion's time goes (`tsx bench/scheduler/profile.ts`), in-process on one thread, on
 * LMDB + filesystem blobs in a temp dir: each step of a batch of BENCH_BATCH (default 200)
 * deletions timed on its own, the batch's tasks issued together (as a pool thread runs them),
 * so lmdb-js may commit the concurrent write transactions of one step together.
 * Prints µs per deletion for each step; the sum is the batch's cost without thread hops.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openStores, posterBlobId } from '../../src/store/index.js';
import { seedVideos } from './seed.js';

const B = Number(process.env.BENCH_BATCH ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const dir = await mkdtemp(join(tmpdir(), 'bench-sched-prof-'));
const stores = await openStores(loadConfig({ DATA_DIR: dir }));
const { records, queue, blobs } = stores;
const owner = 'profile';
const totals = new Map<string, number>();
async function step(name: string, fn: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  await fn();
  totals.set(name, (totals.get(name) ?? 0) + performance.now() - t0);
}
try {
  // Commit latency: one tiny write transaction at a time.
  const ids = await seedVideos(stores, B * ROUNDS);
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) await queue.renewDeletion(ids[0]!, owner, 1000);
  const commitUs = ((performance.now() - t0) / 50) * 1000;
  for (const id of ids) await queue.enqueueDeletion(id);
  for (let r = 0; r < ROUNDS; r++) {
    let batch: string[] = [];
    await step('claim (one transaction)', async () => {
      batch = (await queue.claimDeletions(owner, B, 600_000)).map((d) => d.videoId);
    });
    const all = (fn: (id: string) => Promise<unknown>) => Promise.all(batch.map(fn));
    await step('renew, one per deletion', () =>
      all((id) => queue.renewDeletion(id, owner, 600_000)),
    );
    await step('blob + poster unlink', () =>
      all(async (id) => {
        await blobs.delete(id);
        await blobs.delete(posterBlobId(id));
      }),
    );
    await step('comments, one per deletion', () => all((id) => records.deleteCommentsOfVideo(id)));
    await step('video record, one per deletion', () => all((id) => records.deleteVideo(id)));
    await step('complete, one per deletion', () => all((id) => queue.completeDeletion(id, owner)));
  }
  const n = B * ROUNDS;
  const rows = [...totals].map(([k, ms]) => `| ${k} | ${((ms / n) * 1000).toFixed(1)} |`);
  const sum = [...totals.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(
    [
      `batch ${B}, ${ROUNDS} rounds; one write transaction awaited alone: ${commitUs.toFixed(0)} µs`,
      '| step | µs per deletion |',
      '|---|---:|',
      ...rows,
      `| total | ${((sum / n) * 1000).toFixed(1)} (≈ ${Math.round(n / (sum / 1000))}/s) |`,
      `load average: ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
      '',
    ].join('\n'),
  );
} finally {
  await stores.close();
  await rm(dir, { recursive: true, force: true });
}
