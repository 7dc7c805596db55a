/**
 * The video-cleanup dispatcher's behaviour (it runs on its own thread: dispatcher.worker.ts):
 * claims up to `limit` deletion records with a lease on this node's owner id, and gives back the
 * leases of records claimed ahead that will not be executed.
 *
 * Invariant: a record reaches the executor only through a claim by this owner, so every later
 * write (the task's complete, the executor's failDeletion) can be fenced on that owner.
 */
import type { DeletionQueue, DeletionRecord } from '../store/types.js';
import type { ThreadData } from './thread-data.js';

export function claimBatch(
  queue: DeletionQueue,
  data: Pick<ThreadData, 'owner' | 'leaseMs'>,
  limit: number,
): Promise<DeletionRecord[]> {
  return queue.claimDeletions(data.owner, limit, data.leaseMs, Date.now());
}

export function releaseBatch(
  queue: DeletionQueue,
  data: Pick<ThreadData, 'owner'>,
  videoIds: string[],
): Promise<number> {
  return queue.releaseDeletions(data.owner, videoIds);
}
