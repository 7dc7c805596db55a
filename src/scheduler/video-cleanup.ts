/**
 * The video-cleanup runner: its Dispatcher and Executor functions ask the dispatcher and executor
 * actors on their threads (cleanup-threads.ts) and keep this node's counters on the board.
 *
 * A round ends with an error — and the next tick starts a fresh one — when a claim fails (store
 * down, dispatcher restarting), when the executor is unavailable or died mid-batch (its records'
 * leases expire and they come back), or when recording a failure failed (`storeErrors`).
 */

import { StoreUnavailableError } from '../store/errors.js';
import type { DeletionRecord } from '../store/types.js';
import type { CleanupThreads } from './cleanup-threads.js';
import { Runner } from './runner.js';
import type { StatsBoard } from './stats.js';

export function videoCleanupRunner(deps: {
  threads: CleanupThreads;
  batch: number;
  board: StatsBoard;
  /** This runner's row on the board. */
  row: number;
}): Runner<DeletionRecord> {
  const { threads, board, row } = deps;
  return new Runner<DeletionRecord>({
    name: 'video-cleanup',
    size: deps.batch,
    longLived: true,
    dispatcher: async (data) => {
      const batch = await threads.claim(data.capacity);
      board.add(row, 'claimed', batch.length);
      for (const rec of batch) data.trySend(rec); // Data is empty and holds `size`: never blocks
      return batch.length;
    },
    executor: async (data, count) => {
      const batch: DeletionRecord[] = [];
      for (let i = 0; i < count; i++) {
        const r = data.tryRecv();
        if (r?.ok) batch.push(r.value);
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
}
