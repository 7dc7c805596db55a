/**
 * The video-cleanup dispatcher: claims up to `limit` deletion records with a lease on this
 * node's owner id and hands them to the runner (see video-cleanup.ts for the round).
 *
 * Invariant: a record reaches the executor only through a claim by this owner, so every later
 * write (the task's complete, the executor's failDeletion) can be fenced on that owner.
 */
import { spawn } from '../actors/index.js';
import type { DeletionRecord } from '../store/types.js';
import type { CleanupDeps } from './video-cleanup.js';

export function spawnDispatcher({ queue, opts, board, row }: CleanupDeps) {
  return spawn<{ limit: number }, DeletionRecord[]>(
    async ({ limit }) => {
      const claimed = await queue.claimDeletions(opts.owner, limit, opts.leaseMs, Date.now());
      board.add(row, 'claimed', claimed.length);
      return claimed;
    },
    { name: 'video-cleanup.dispatcher', mailbox: 1 },
  );
}
