/**
 * The video-cleanup runner's claim ahead, through videoCleanup with a real LMDB queue behind the
 * CleanupThreads it is given (its real parameter: claim, release and execute go straight to the
 * queue here instead of to the actor threads): the next batch is claimed as one starts to
 * execute, never after a short batch or once stopping; a batch claimed ahead outlives a failed
 * round and runs in the next; releaseAhead gives its leases back.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CleanupThreads } from '../../src/scheduler/cleanup-threads.js';
import { schedulerBoard } from '../../src/scheduler/stats-board.js';
import { videoCleanup } from '../../src/scheduler/video-cleanup.js';
import { openStores } from '../../src/store/index.js';
import type { DeletionQueue } from '../../src/store/types.js';
import { tempConfig } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const OWNER = 'me';

/** `n` queued deletions (no videos: the executor below only completes the records), in order. */
async function queueOf(n: number) {
  const t = await tempConfig();
  cleanups.push(t.cleanup);
  const stores = await openStores(t.config);
  cleanups.push(() => stores.close());
  const ids = Array.from({ length: n }, () => randomUUID());
  const base = Date.now() - 10_000;
  for (const [i, id] of ids.entries()) await stores.queue.enqueueDeletion(id, base + i);
  return { queue: stores.queue, ids };
}

/**
 * The actor threads' three calls on the queue. `claims` lists each claim's ids as it is made
 * (the entry appears when the call starts); `executed` each batch's ids; an execute whose number
 * is in `failOn` (0-based) rejects before touching anything, as a dead executor thread would.
 */
function threadsOn(queue: DeletionQueue, failOn: number[] = []) {
  const claims: string[][] = [];
  const executed: string[][] = [];
  const threads: CleanupThreads = {
    async claim(limit) {
      const entry: string[] = [];
      claims.push(entry);
      const batch = await queue.claimDeletions(OWNER, limit, 60_000);
      entry.push(...batch.map((d) => d.videoId));
      return batch;
    },
    release: (ids) => queue.releaseDeletions(OWNER, ids),
    async execute(batch) {
      const ids = batch.map((d) => d.videoId);
      executed.push(ids);
      if (failOn.includes(executed.length - 1)) throw new Error('executor thread exited');
      const done = await queue.completeDeletions(OWNER, ids);
      return { done: done.length, failed: 0, deadLettered: 0, lost: 0, storeErrors: 0, errors: [] };
    },
    tree: () => [],
    failed: new Promise(() => {}),
    stop: async () => {},
    kill: async () => {},
  };
  return { threads, claims, executed };
}

function cleanupOf(threads: CleanupThreads) {
  return videoCleanup({ threads, batch: 3, board: schedulerBoard(), row: 0 });
}

describe('video cleanup: the batch claimed ahead', () => {
  it('is claimed as a full batch starts executing and runs next; a short batch claims nothing ahead', async () => {
    const { queue, ids } = await queueOf(7);
    const t = threadsOn(queue);
    const claimsAtExecute: number[] = [];
    const execute = t.threads.execute;
    t.threads.execute = (batch) => {
      claimsAtExecute.push(t.claims.length);
      return execute(batch);
    };
    const result = await cleanupOf(t.threads).runner.startAll();
    expect(result).toMatchObject({ reason: 'finished', batches: 3 });
    expect(t.executed).toEqual([ids.slice(0, 3), ids.slice(3, 6), ids.slice(6)]);
    // Batch 1 and 2 each start with the next claim made; batch 3 (1 record) claims nothing
    // ahead, so the round ends on a claim of its own that finds nothing.
    expect(claimsAtExecute).toEqual([2, 3, 3]);
    expect(t.claims.map((c) => c.length)).toEqual([3, 3, 1, 0]);
    expect(await queue.countDeletions()).toEqual({ pending: 0, dead: 0 });
  });

  it('outlives a failed round: the next round executes it first', async () => {
    const { queue, ids } = await queueOf(6);
    const t = threadsOn(queue, [0]);
    const cleanup = cleanupOf(t.threads);
    expect(await cleanup.runner.startAll()).toMatchObject({ reason: 'error', batches: 1 });
    expect(t.claims).toHaveLength(2); // the second one (ahead) may still be under way
    expect(await cleanup.runner.startAll()).toMatchObject({ reason: 'finished', batches: 1 });
    // The failed batch's leases stand (60 s): the next round ran the batch claimed ahead, and
    // its own claim ahead found nothing else.
    expect(t.executed).toEqual([ids.slice(0, 3), ids.slice(3, 6)]);
    expect(t.claims).toEqual([ids.slice(0, 3), ids.slice(3, 6), []]);
    for (const id of ids.slice(0, 3)) {
      expect(await queue.getDeletion(id)).toMatchObject({ owner: OWNER, attempts: 0 });
    }
    expect(await queue.countDeletions()).toEqual({ pending: 3, dead: 0 });
    expect(await cleanup.releaseAhead()).toBe(0);
  });

  it('is given back by releaseAhead after a stop: claimable at once, attempts kept', async () => {
    const { queue, ids } = await queueOf(9);
    const t = threadsOn(queue);
    const stop = new AbortController();
    const execute = t.threads.execute;
    t.threads.execute = (batch) => {
      stop.abort(); // the stop lands while the first batch executes
      return execute(batch);
    };
    const cleanup = cleanupOf(t.threads);
    expect(await cleanup.runner.startAll(stop.signal)).toMatchObject({
      reason: 'aborted',
      batches: 1,
    });
    // The claim ahead may still be under way when the round ends.
    await vi.waitFor(() => expect(t.claims).toEqual([ids.slice(0, 3), ids.slice(3, 6)]), {
      timeout: 30_000,
    });
    for (const id of ids.slice(3, 6)) {
      expect(await queue.getDeletion(id)).toMatchObject({ owner: OWNER });
    }
    expect(await cleanup.releaseAhead()).toBe(3);
    for (const id of ids.slice(3, 6)) {
      expect(await queue.getDeletion(id)).toMatchObject({
        owner: undefined,
        leaseUntil: undefined,
        attempts: 0,
      });
    }
    expect(await cleanup.releaseAhead()).toBe(0); // given back once
    const next = await queue.claimDeletions('other', 3, 60_000);
    expect(next.map((d) => d.videoId)).toEqual(ids.slice(3, 6));
  });

  it('is not claimed once stopping', async () => {
    const { queue, ids } = await queueOf(6);
    const t = threadsOn(queue);
    const stop = new AbortController();
    const claim = t.threads.claim;
    t.threads.claim = (limit) => {
      stop.abort(); // the stop lands during the first claim, before the batch executes
      return claim(limit);
    };
    const cleanup = cleanupOf(t.threads);
    expect(await cleanup.runner.startAll(stop.signal)).toMatchObject({
      reason: 'aborted',
      batches: 1,
    });
    expect(t.claims).toEqual([ids.slice(0, 3)]);
    expect(await cleanup.releaseAhead()).toBe(0);
    expect(await queue.countDeletions()).toEqual({ pending: 3, dead: 0 });
  });
});
