/**
 * A deletion task past its deadline stops by itself; its pool thread is not ended (issue: a
 * task's timeout must never abort the process). The fault is real lmdb-js work: the test task's
 * records.deleteVideos spins in lmdb-js reads (hundreds of native calls per event-loop turn) past
 * taskTimeoutMs, once. Before the cooperative deadline, the pool aborted the task at
 * taskTimeoutMs by ending its thread, inside one of those calls almost surely, and node-addon-api
 * aborted the whole process (this test's fork: vitest reports it as a failure). Now the task
 * closes its stores at its deadline (the spinning call then rejects), answers its videos failed
 * with ERR_TASK_DEADLINE, and they are retried and deleted — on the same pool thread, which
 * counts the aborts: a thread ended mid-task writes no line, and its replacement has a new id.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { openStores } from '../../src/store/index.js';
import { workerFile } from '../../src/worker-file.js';
import { isGone, isIntact, seedVideo, tempConfig, waitFor } from './helpers.js';
import { readExecutionLog } from './nodes.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const taskFile = workerFile(import.meta.url, '../fixtures/scheduler/test-deletion.task');
const spinStores = pathToFileURL(
  join(import.meta.dirname, '../fixtures/scheduler/spin-stores.ts'),
).href;

/** Three videos asked for deletion (and one kept), the test task spinning once in lmdb-js. */
async function setup() {
  const t = await tempConfig({ SCHEDULER_INTERVAL_MS: '50' });
  cleanups.push(t.cleanup);
  const stores = await openStores(t.config);
  cleanups.push(() => stores.close());
  const log = join(t.config.dataDir, 'executions.jsonl');
  const spin = join(t.config.dataDir, 'spin-once');
  await mkdir(spin);
  // The task threads copy the environment when they start.
  process.env.VS_TEST_TASK = JSON.stringify({ log, spinOnce: spin });
  cleanups.push(async () => {
    delete process.env.VS_TEST_TASK;
  });
  const ids = [await seedVideo(stores), await seedVideo(stores), await seedVideo(stores)];
  const keep = await seedVideo(stores);
  for (const id of ids) await stores.queue.enqueueDeletion(id);
  /** The videos of the spinning call, once it started. */
  const spun = async () =>
    (await readFile(join(spin, 'spun', 'ids'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { config: t.config, stores, log, spin, ids, keep, spun };
}

describe('a deletion task at its deadline', () => {
  it('stops inside a slow lmdb-js call without its thread being ended; the videos are retried and deleted', async () => {
    const { config, stores, log, spin, ids, keep, spun } = await setup();
    // One pool thread, so every task's line names the same thread unless it was ended. The
    // backstop abort comes (60 000 − 4000) / 4 ms past the deadline: far beyond any scheduling
    // delay of the task's own answer, even on a loaded machine.
    const scheduler = startScheduler(
      config,
      { records: stores.records, log: createLogger('test', 100) },
      {
        batch: 3,
        poolThreads: 1,
        taskFile,
        leaseMs: 60_000,
        taskTimeoutMs: 4000,
        backoffBaseMs: 20,
        backoffMaxMs: 100,
        maxAttempts: 20,
      },
    );
    cleanups.push(() => scheduler.close(10_000));

    for (const id of ids) await waitFor(`video ${id} gone`, () => isGone(stores, id), 120_000);
    expect(await isIntact(stores, keep)).toBe(true);
    const spinning = await spun();
    expect(spinning.length).toBeGreaterThan(0);
    // The spinning call never got past its records step: its videos are done by a retry only.
    const doneOf = async (id: string) =>
      (await readExecutionLog(log)).filter((l) => l.videoId === id && l.outcome === 'done');
    for (const id of spinning) {
      await waitFor(`a done line for ${id}`, async () => (await doneOf(id)).length > 0);
    }
    const lines = await readExecutionLog(log);
    // Its task answered at its deadline: the spinning videos failed with ERR_TASK_DEADLINE first.
    // (On a loaded machine another step may reach a deadline too: the same code.)
    const late = lines.filter((l) => l.outcome === 'failed');
    for (const l of late) expect(l.code).toBe('ERR_TASK_DEADLINE');
    for (const id of spinning) {
      const failed = late.filter((l) => l.videoId === id);
      expect(failed.length).toBeGreaterThan(0);
      const [done] = await doneOf(id);
      expect(done!.start).toBeGreaterThanOrEqual(failed[0]!.end); // retried after it answered
    }
    // Done once each; and no abort: every task ran on the one pool thread, never replaced.
    const done = lines.filter((l) => l.outcome === 'done').map((l) => l.videoId);
    expect(new Set(done).size).toBe(done.length);
    expect(new Set(lines.map((l) => l.thread)).size).toBe(1);
    expect(existsSync(join(spin, 'closed-under-spin'))).toBe(true); // the task closed its stores
    const counters = () => scheduler.stats().runners['video-cleanup']!;
    await waitFor('the runner counted the retry', () => counters().failed >= spinning.length);
    expect(counters().deadLettered).toBe(0);
    expect(scheduler.stats().actors.map((a) => a.restarts)).toEqual([0, 0]);
  }, 180_000);

  it('a stop past its deadline stops the task inside a slow lmdb-js call before ending its thread', async () => {
    const { config, stores, spin, ids, spun } = await setup();
    // The task's own deadline is far off: only the stop can end the spinning call.
    const scheduler = startScheduler(
      config,
      { records: stores.records, queue: stores.queue, log: createLogger('test', 100) },
      { batch: 3, poolThreads: 1, taskFile, leaseMs: 600_000, taskTimeoutMs: 300_000 },
    );
    cleanups.push(() => scheduler.close(100));
    await waitFor('a task spinning in lmdb-js', async () => (await spun()).length > 0);
    // Past its deadline: the stop cuts the round off. Before, it ended the executor thread and
    // its pool thread with it, inside the spin: the whole process aborted.
    expect(await scheduler.close(100)).toBe(false);
    expect(existsSync(join(spin, 'closed-under-spin'))).toBe(true);
    // The spinning videos: their records are still there (the spin is their records step), their
    // deletion records still ours, no failure written: they come back after their leases.
    for (const id of await spun()) {
      expect(await isGone(stores, id)).toBe(false);
      expect(await stores.queue.getDeletion(id)).toMatchObject({
        owner: scheduler.owner,
        attempts: 0,
      });
    }
    expect(ids).toEqual(expect.arrayContaining(await spun()));
  }, 180_000);

  it("a stop past its deadline waits for the executor's store write in flight before ending its thread", async () => {
    const t = await tempConfig({ SCHEDULER_INTERVAL_MS: '50' });
    cleanups.push(t.cleanup);
    const stores = await openStores(t.config);
    cleanups.push(() => stores.close());
    // A deletion whose blob step fails for real (a non-empty directory where its blob would be),
    // so the executor records the failure: through the spinning failDeletions.
    const bad = await seedVideo(stores);
    await stores.blobs.delete(bad);
    await mkdir(join(t.config.dataDir, 'videos', bad, 'x'), { recursive: true });
    await stores.queue.enqueueDeletion(bad);
    const dir = join(t.config.dataDir, 'spin');
    await mkdir(dir);
    const scheduler = startScheduler(
      t.config,
      { records: stores.records, queue: stores.queue, log: createLogger('test', 100) },
      {
        batch: 1,
        poolThreads: 1,
        leaseMs: 600_000,
        taskTimeoutMs: 300_000,
        stores: { module: spinStores, data: { dir } },
      },
    );
    cleanups.push(() => scheduler.close(100));
    await waitFor('the executor spinning in its failDeletions', () =>
      existsSync(join(dir, 'spin-started')),
    );
    // Past its deadline. Before, the stop ended the executor thread at once, inside the spin:
    // the whole process aborted. Now it waits for the write, which completes.
    expect(await scheduler.close(100)).toBe(false);
    expect(existsSync(join(dir, 'spin-ended'))).toBe(true);
    expect(await stores.queue.getDeletion(bad)).toMatchObject({ attempts: 1 });
  }, 180_000);
});
