/**
 * The video-cleanup runner: its Dispatcher and Executor functions ask the dispatcher and executor
 * actors on their threads (cleanup-threads.ts) and keep this node's counters on the board.
 *
 * The next batch is claimed while one executes (after a full batch, unless stopping): a claim is
 * a write transaction on the dispatcher thread, and claiming in turn with executing left the
 * pool idle meanwhile. At most one batch is claimed ahead. The owner of the runner gives it back
 * with `releaseAhead()` once the rounds stopped, so a stop leaves no record leased for nothing.
 *
 * A round ends with an error — and the next tick starts a fresh one — when a claim fails (store
 * down, dispatcher restarting), when the executor is unavailable or died mid-batch (its records'
 * leases expire and they come back), or when recording a failure failed (`storeErrors`). A batch
 * claimed ahead outlives its round: the next round executes it (a lease that ran out meanwhile
 * is renewed, or found lost, by the task's fenced lease step).
 */

import { StoreUnavailableError } from '../store/errors.js';
import type { DeletionRecord } from '../store/types.js';
import type { CleanupThreads } from './cleanup-threads.js';
import { Runner } from './runner.js';
import type { StatsBoard } from './stats.js';

export interface VideoCleanup {
  readonly runner: Runner<DeletionRecord>;
  /**
   * Gives back the leases of the batch claimed ahead, if any, so its records are claimable at
   * once rather than when their lease ends; resolves with how many. Call it when no round is in
   * flight (a round still executing after a stop's deadline claims nothing more: it is aborted).
   */
  releaseAhead(): Promise<number>;
}

export function videoCleanup(deps: {
  threads: CleanupThreads;
  batch: number;
  board: StatsBoard;
  /** This runner's row on the board. */
  row: number;
}): VideoCleanup {
  const { threads, board, row } = deps;
  let ahead: Promise<DeletionRecord[]> | undefined;
  const runner = new Runner<DeletionRecord>({
    name: 'video-cleanup',
    size: deps.batch,
    longLived: true,
    dispatcher: async (data) => {
      const claimed = ahead ?? threads.claim(data.capacity);
      ahead = undefined;
      const batch = await claimed;
      board.add(row, 'claimed', batch.length);
      for (const rec of batch) data.trySend(rec); // Data is empty and holds `size`: never blocks
      return batch.length;
    },
    executor: async (data, count, ctx) => {
      const batch: DeletionRecord[] = [];
      for (let i = 0; i < count; i++) {
        const r = data.tryRecv();
        if (r?.ok) batch.push(r.value);
      }
      // A short batch means the queue had no more: nothing to claim ahead.
      if (count === data.capacity && !ctx.signal.aborted) {
        ahead = threads.claim(data.capacity);
        ahead.catch(() => {}); // its error ends the next dispatch, not this batch
      }
      const report = await threads.execute(batch);
      board.add(row, 'done', report.done);
      board.add(row, 'failed', report.failed + report.storeErrors);
      board.add(row, 'deadLettered', report.deadLettered);
      board.add(row, 'lost', report.lost);
      if (report.storeErrors > 0) {
        throw new StoreUnavailableError(
          `could not record ${report.storeErrors} failed deletion(s): ${report.errors.join('; ')}`,
        );
      }
    },
  });
  return {
    runner,
    async releaseAhead() {
      const claimed = ahead;
      ahead = undefined;
      const batch = claimed ? await claimed.catch(() => []) : [];
      return batch.length > 0 ? threads.release(batch.map((r) => r.videoId)) : 0;
    },
  };
}
