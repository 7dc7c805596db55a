/**
 * Part of npm run bench:actors: what the supervised, threaded scheduler costs per deletion, next
 * to the deletion itself (issue 11). On a temporary LMDB + filesystem store:
 *   - the deletion itself: runDeletions in-process, one video a call (renew lease, blob, comments, video, complete);
 *   - the hops a batch pays: claim on the dispatcher thread and execute on the executor thread
 *     (supervisor lookup + comlink round trip), each measured with no work behind it, and the
 *     pool hop (piscina round trip of a no-op task) that each deletion pays;
 *   - end to end: the real scheduler draining N deletions.
 * Per deletion, the design's overhead is (claim + execute) / batch + pool hop. Numbers only,
 * never a test; the section is written into bench/results/actors.md.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from '../../src/actors/index.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startCleanupThreads } from '../../src/scheduler/cleanup-threads.js';
import { runDeletions } from '../../src/scheduler/deletion.task.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { taskSignals } from '../../src/scheduler/task-signals.js';
import { plainFile } from '../../src/scheduler/thread-data.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { workerFile } from '../../src/worker-file.js';

const quick = process.argv.includes('--quick');
const N = quick ? 100 : 500;
const HOPS = quick ? 300 : 2000;
const BATCH = 10;
const log = createLogger('bench', 'silent');

async function seed(stores: Stores, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = crypto.randomUUID();
    await stores.records.createVideo({
      id,
      authorId: crypto.randomUUID(),
      name: 'v',
      createdAt: Date.now(),
      state: 'active',
    } as never);
    const w = await stores.blobs.createWriter(id, { contentType: 'video/mp4' });
    await w.write(Buffer.from('hello'));
    await w.commit();
    await stores.queue.enqueueDeletion(id);
    ids.push(id);
  }
  return ids;
}

async function timeEach(n: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(50, n); i++) await fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - t0) * 1000) / n;
}

const dir = await mkdtemp(join(tmpdir(), 'bench-hops-'));
const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'warn' });
const stores = await openStores(config);
try {
  // 1. The deletion itself, in-process.
  const ids = await seed(stores, N);
  const claimed = await stores.queue.claimDeletions('bench', N, 600_000);
  let k = 0;
  const t0 = performance.now();
  for (const d of claimed) {
    k++;
    await runDeletions({
      config,
      videoIds: [d.videoId],
      owner: 'bench',
      leaseMs: 600_000,
      deadline: Date.now() + 300_000,
      minLeaseUntil: Date.now() + 450_000, // as the executor sets it (lease 600 s, timeout 300 s)
    });
  }
  const deletionUs = ((performance.now() - t0) * 1000) / k;
  if (k !== ids.length) throw new Error('not every record was claimed');

  // 2. Hops with no work behind them (the queue is empty now).
  const emptyClaimUs = await timeEach(HOPS, () =>
    stores.queue.claimDeletions('bench', BATCH, 60_000),
  );
  const threads = startCleanupThreads({
    data: {
      config: { ...config },
      owner: 'bench',
      leaseMs: 60_000,
      taskTimeoutMs: 30_000,
      maxAttempts: 5,
      backoffBaseMs: 1000,
      backoffMaxMs: 300_000,
      poolThreads: 1,
      taskFile: plainFile(workerFile(import.meta.url, '../../src/scheduler/deletion.task')),
      storesModule: undefined,
      storesData: undefined,
      signals: taskSignals(),
    },
    intensity: 5,
    periodMs: 60_000,
    executeTimeoutMs: 60_000,
    log,
  });
  const claimUs = await timeEach(HOPS, () => threads.claim(BATCH));
  const executeUs = await timeEach(HOPS, () => threads.execute([]));
  await threads.stop();
  const pool = createPool<unknown, unknown>({
    file: workerFile(import.meta.url, './noop.task'),
    threads: 1,
    name: 'noop',
  });
  const poolUs = await timeEach(HOPS, () => pool.run(1));
  await pool.close();

  // 3. End to end: the real scheduler drains N deletions.
  await seed(stores, N);
  const t1 = performance.now();
  const s = startScheduler(
    config,
    { records: stores.records, log },
    { batch: BATCH, poolThreads: 1, intervalMs: 20 },
  );
  while ((await stores.queue.countDeletions()).pending > 0)
    await new Promise((r) => setTimeout(r, 20));
  const endToEndUs = ((performance.now() - t1) * 1000) / N;
  await s.close(10_000);

  const hopClaim = Math.max(0, claimUs - emptyClaimUs);
  const overhead = (hopClaim + executeUs) / BATCH + poolUs;
  const f = (x: number) => x.toFixed(1);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const section = `## Scheduler: supervision and channel hops per deletion (µs, lower is better)

- date: ${new Date().toISOString()}; load average during the run: ${load}
- LMDB + filesystem blobs in a temp dir; ${N} deletions; ${HOPS} hops each; batch ${BATCH}, 1 task thread

| what | µs | per deletion (µs) |
|---|---:|---:|
| the deletion itself (runDeletions in-process, one video a call: lease, blob, comments, video, complete) | ${f(deletionUs)} | ${f(deletionUs)} |
| claim on the dispatcher thread, empty queue (supervisor lookup + comlink round trip) | ${f(claimUs)} | |
| … of which the empty LMDB claim itself | ${f(emptyClaimUs)} | |
| execute([]) on the executor thread (supervisor lookup + comlink round trip) | ${f(executeUs)} | |
| pool hop (piscina round trip, no-op task) | ${f(poolUs)} | |
| **design overhead**: (claim hop + execute hop) / batch + pool hop | | **${f(overhead)}** |
| end to end: the scheduler draining ${N} deletions (ticks of 20 ms included) | | ${f(endToEndUs)} |

Overhead / deletion itself: ${(overhead / deletionUs).toFixed(2)}×. The hops are paid once per batch
(claim, execute) or once per deletion (the pool); the deletion itself is dominated by LMDB commits
and the blob unlink.
`;
  console.log(section);
  const path = new URL('../results/actors.md', import.meta.url);
  const old = readFileSync(path, 'utf8');
  const at = old.indexOf('## Scheduler: supervision and channel hops');
  const kept = at < 0 ? old.trimEnd() : old.slice(0, at).trimEnd();
  const rest =
    at < 0
      ? ''
      : old
          .slice(at)
          .replace(/^## Scheduler: supervision[\s\S]*?(?=\n## |$)/, '')
          .trim();
  writeFileSync(path, `${kept}\n\n${section}${rest ? `\n${rest}\n` : ''}`);
} finally {
  await stores.close();
  await rm(dir, { recursive: true, force: true });
}
