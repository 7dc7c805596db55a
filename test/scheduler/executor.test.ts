/**
 * The executor's batch handling, through executeBatch with a real LMDB queue and a pool given
 * as its real parameter: the batch is split into one task per pool thread, each record is
 * accounted for exactly once, and the failures of a whole batch are recorded in one fenced
 * failDeletions call (a record another owner took over meanwhile is reported lost, untouched).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { executeBatch, splitBatch } from '../../src/scheduler/executor.js';
import type { DeletionResult, DeletionTask } from '../../src/scheduler/index.js';
import { taskSignals } from '../../src/scheduler/task-signals.js';
import type { ThreadData } from '../../src/scheduler/thread-data.js';
import { openStores } from '../../src/store/index.js';
import type { DeletionQueue } from '../../src/store/types.js';
import { seedVideo, tempConfig } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('splitBatch', () => {
  it('one task per pool thread, consecutive records of near-equal counts, none lost or repeated', () => {
    const batch = Array.from({ length: 101 }, (_, i) => i);
    const tasks = splitBatch(batch, 2);
    expect(tasks.map((t) => t.length)).toEqual([51, 50]);
    expect(tasks.flat()).toEqual(batch);
    expect(splitBatch([1, 2, 3], 4)).toEqual([[1], [2], [3]]);
    expect(splitBatch([], 2)).toEqual([]);
  });
});

describe('executeBatch', () => {
  it('records the failures of a batch in one fenced call; every record counted once', async () => {
    const t = await tempConfig();
    cleanups.push(t.cleanup);
    const stores = await openStores(t.config);
    cleanups.push(() => stores.close());
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await seedVideo(stores, 0));
    // ids[11]: taken over by another node while our task ran (its lease had run out): queued
    // first, so that it is the one a later claim finds.
    const taken = ids[11]!;
    const base = Date.now() - 1000;
    for (const [i, id] of [taken, ...ids.slice(0, 11)].entries()) {
      await stores.queue.enqueueDeletion(id, base + i);
    }
    const batch = await stores.queue.claimDeletions('me', 12, 60_000);
    expect(batch).toHaveLength(12);

    // The pool: ids[0..5] succeed (the records completed as the real task would) unless their
    // task holds ids[10] — that task dies (thread exit) — and the others fail with a store
    // error. The batch is [taken, ids[0..10]], so ids[10]'s task holds none of ids[0..5]
    // whatever the task size.
    const tasks: DeletionTask[] = [];
    const pool = {
      async run(task: DeletionTask): Promise<DeletionResult[]> {
        tasks.push(task);
        if (task.videoIds.includes(ids[10]!)) throw new Error('worker exited');
        const now = Date.now();
        const ok = task.videoIds.filter((id) => ids.indexOf(id) < 6);
        const done = new Set(await stores.queue.completeDeletions('me', ok));
        return task.videoIds.map((videoId) =>
          done.has(videoId)
            ? { videoId, outcome: 'done', start: now, end: now }
            : {
                videoId,
                outcome: 'failed',
                error: { code: 'ERR_STORE_UNAVAILABLE', message: 'comments: down' },
                start: now,
                end: now,
              },
        );
      },
      close: async () => {},
    };
    const later = await stores.queue.claimDeletions('other', 1, 600_000, Date.now() + 120_000);
    expect(later.map((d) => d.videoId)).toEqual([taken]);
    const failCalls: number[] = [];
    const queue: DeletionQueue = Object.create(stores.queue);
    queue.failDeletions = (owner, failures, max) => {
      failCalls.push(failures.length);
      return stores.queue.failDeletions(owner, failures, max);
    };
    const data = {
      config: t.config,
      owner: 'me',
      leaseMs: 60_000,
      taskTimeoutMs: 30_000,
      maxAttempts: 5,
      backoffBaseMs: 1000,
      backoffMaxMs: 300_000,
      poolThreads: 4,
      signals: taskSignals(),
    } as ThreadData;
    const report = await executeBatch({ queue, pool, data, log: createLogger('test', 100) }, batch);

    expect(tasks).toHaveLength(4); // one task per pool thread
    expect(tasks.flatMap((x) => x.videoIds).sort()).toEqual([...ids].sort());
    expect(failCalls).toEqual([6]); // one call for the whole batch's failures
    expect(report.done).toBe(6);
    expect(report.failed + report.lost + report.deadLettered).toBe(6);
    expect(report.storeErrors).toBe(0);
    for (const id of ids.slice(0, 6)) expect(await stores.queue.getDeletion(id)).toBeUndefined();
    for (const id of ids.slice(6, 11)) {
      expect(await stores.queue.getDeletion(id)).toMatchObject({ attempts: 1, owner: undefined });
    }
    expect(await stores.queue.getDeletion(taken)).toMatchObject({ owner: 'other', attempts: 0 });
    expect(report.lost).toBe(1);
    // One entry per record not done, each naming its record.
    const named = report.errors.map((e) => e.slice(0, e.indexOf(':')));
    expect(named.sort()).toEqual([...ids.slice(6)].sort());
  });
});

describe('executeBatch: a completion never answered (the task says `unanswered`)', () => {
  /**
   * Two videos whose task's completion failed unanswered: `applied`'s record went (the store
   * applied it, its answer was lost), `notApplied`'s stayed. `late`: the pool answers once past
   * the task's minLeaseUntil (the leases confirmed for it may have run out by then).
   */
  async function run(leaseMs: number, taskTimeoutMs: number, late: boolean) {
    const t = await tempConfig();
    cleanups.push(t.cleanup);
    const stores = await openStores(t.config);
    cleanups.push(() => stores.close());
    const applied = await seedVideo(stores, 0);
    const notApplied = await seedVideo(stores, 0);
    for (const id of [applied, notApplied]) await stores.queue.enqueueDeletion(id);
    const batch = await stores.queue.claimDeletions('me', 2, 60_000);
    expect(batch).toHaveLength(2);
    const pool = {
      async run(task: DeletionTask): Promise<DeletionResult[]> {
        expect(await stores.queue.completeDeletions('me', [applied])).toEqual([applied]);
        while (late && Date.now() <= task.minLeaseUntil)
          await new Promise((r) => setTimeout(r, 10));
        const now = Date.now();
        const error = { code: 'ERR_STORE_UNAVAILABLE', message: 'complete: connection closed' };
        return task.videoIds.map((videoId) => ({
          videoId,
          outcome: 'failed',
          error,
          unanswered: true,
          start: now,
          end: now,
        }));
      },
      close: async () => {},
    };
    const data = {
      config: t.config,
      owner: 'me',
      leaseMs,
      taskTimeoutMs,
      maxAttempts: 5,
      backoffBaseMs: 1000,
      backoffMaxMs: 300_000,
      poolThreads: 1,
      signals: taskSignals(),
    } as ThreadData;
    const queue = stores.queue;
    const report = await executeBatch({ queue, pool, data, log: createLogger('test', 100) }, batch);
    expect(await queue.getDeletion(applied)).toBeUndefined();
    expect(await queue.getDeletion(notApplied)).toMatchObject({ attempts: 1, owner: undefined });
    return { report, applied, notApplied };
  }

  it('counts it done when recording its failure finds the record gone while the leases hold', async () => {
    const { report, notApplied } = await run(60_000, 30_000, false);
    // Before: lost (the fence found nothing), though no other owner could have taken it.
    expect(report).toMatchObject({ done: 1, failed: 1, lost: 0, deadLettered: 0 });
    expect(report.errors).toEqual([
      `${notApplied}: ERR_STORE_UNAVAILABLE: complete: connection closed`,
    ]);
  });

  it('leaves it lost once the leases may have run out (another owner may have completed it)', async () => {
    const { report } = await run(200, 100, true);
    expect(report).toMatchObject({ done: 0, failed: 1, lost: 1, deadLettered: 0 });
    expect(report.errors).toHaveLength(2);
  });
});
