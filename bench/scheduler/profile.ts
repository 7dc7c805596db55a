/**
 * Where a deletion's time goes (`tsx bench/scheduler/profile.ts`), in-process on one thread, on
 * LMDB + filesystem blobs in a temp dir: each step of a deletion task (deletion.task.ts) for a
 * batch of BENCH_BATCH (default 200) videos, timed on its own. Prints wall and CPU µs per
 * deletion for each step; the sum is the batch's cost without thread hops.
 */
import { existsSync, unlinkSync } from 'node:fs';
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
/** Per step: wall ms and CPU ms of the whole process (every thread: libuv's, lmdb-js's), deletions. */
const totals = new Map<string, { wall: number; cpu: number; n: number }>();
async function step(name: string, fn: () => Promise<unknown>, n = B): Promise<void> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  const t = totals.get(name) ?? { wall: 0, cpu: 0, n: 0 };
  t.wall += performance.now() - t0;
  t.cpu += (c.user + c.system) / 1000;
  t.n += n;
  totals.set(name, t);
}
try {
  // Commit latency: one tiny write transaction at a time.
  const ids = await seedVideos(stores, B * ROUNDS);
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) await queue.renewDeletions(owner, [ids[0]!], 1000);
  const commitUs = ((performance.now() - t0) / 50) * 1000;
  for (const id of ids) await queue.enqueueDeletion(id);
  for (let r = 0; r < ROUNDS; r++) {
    let batch: string[] = [];
    await step('claim (one transaction)', async () => {
      batch = (await queue.claimDeletions(owner, B, 600_000)).map((d) => d.videoId);
    });
    // A/B: renewDeletions (a write), heldDeletions (the read the task does for fresh leases).
    await step('renewDeletions (one transaction)', () =>
      queue.renewDeletions(owner, batch, 600_000),
    );
    await step('heldDeletions (a read: what the task does for a fresh lease)', () =>
      queue.heldDeletions(owner, batch),
    );
    // A/B in the same rounds, a third of the batch each: delete (async unlinks), blocking
    // unlinks (existsSync + unlinkSync: the cheapest in CPU, but it stalls the thread in the
    // kernel), and deleteInPool (what deletion.task.ts uses on the filesystem store).
    const third = Math.floor(batch.length / 3);
    const half = batch.length >> 1;
    const [a, b, c] = [
      batch.slice(0, third),
      batch.slice(third, 2 * third),
      batch.slice(2 * third),
    ];
    await step(
      'blob + poster, delete (4 async unlinks)',
      () =>
        Promise.all(a.map((id) => Promise.all([blobs.delete(id), blobs.delete(posterBlobId(id))]))),
      a.length,
    );
    const unlinkSyncQuiet = (p: string) => {
      if (existsSync(p)) unlinkSync(p);
    };
    await step(
      'blob + poster, blocking (existsSync + unlinkSync)',
      async () => {
        for (const id of b) {
          for (const x of [id, posterBlobId(id)]) {
            const p = join(dir, 'videos', x);
            unlinkSyncQuiet(p);
            unlinkSyncQuiet(`${p}.meta`);
          }
        }
      },
      b.length,
    );
    await step(
      'blob + poster, deleteInPool (access(2) first, async unlink if present)',
      () =>
        Promise.all(
          c.map((id) =>
            Promise.all([blobs.deleteInPool!(id), blobs.deleteInPool!(posterBlobId(id))]),
          ),
        ),
      c.length,
    );
    // A/B the same way: per-video calls issued together, and deleteVideos (the task's call).
    await step(
      'comments + video record, one deleteVideos([id]) per video, issued together',
      () => Promise.all(batch.slice(0, half).map((id) => records.deleteVideos([id]))),
      half,
    );
    await step(
      'comments + video records, deleteVideos (one transaction)',
      () => records.deleteVideos(batch.slice(half)),
      batch.length - half,
    );
    await step('completeDeletions (one transaction)', () => queue.completeDeletions(owner, batch));
  }
  const us = (ms: number, n: number) => ((ms / n) * 1000).toFixed(1);
  const rows = [...totals].map(([k, t]) => `| ${k} | ${us(t.wall, t.n)} | ${us(t.cpu, t.n)} |`);
  // The total takes what the task runs: heldDeletions, deleteInPool, deleteVideos.
  const sum = { wall: 0, cpu: 0 };
  for (const [k, t] of totals) {
    if (
      k.includes('async unlinks') ||
      k.includes('blocking') ||
      k.includes('per-video calls') ||
      k.startsWith('renew')
    )
      continue;
    sum.wall += (t.wall / t.n) * B * ROUNDS;
    sum.cpu += (t.cpu / t.n) * B * ROUNDS;
  }
  const n = B * ROUNDS;
  process.stdout.write(
    [
      `batch ${B}, ${ROUNDS} rounds; one write transaction awaited alone: ${commitUs.toFixed(0)} µs`,
      '| step | wall µs per deletion | CPU µs per deletion |',
      '|---|---:|---:|',
      ...rows,
      `| total (what the task runs) | ${us(sum.wall, n)} | ${us(sum.cpu, n)} |`,
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
