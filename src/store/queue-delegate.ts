/**
 * Both record adapters keep their deletion queue in a module of its own (lmdb-queue.ts,
 * mongo-queue.ts); this base forwards the queue half of the port to it, once for both.
 */
import type { DeletionQueue, DeletionRecord, FailOutcome } from './types.js';

export abstract class QueueDelegate implements DeletionQueue {
  protected abstract readonly queue: DeletionQueue;

  enqueueDeletion(videoId: string, now?: number): Promise<boolean> {
    return this.queue.enqueueDeletion(videoId, now);
  }

  claimDeletions(
    owner: string,
    limit: number,
    leaseMs: number,
    now?: number,
  ): Promise<DeletionRecord[]> {
    return this.queue.claimDeletions(owner, limit, leaseMs, now);
  }

  renewDeletion(videoId: string, owner: string, leaseMs: number, now?: number): Promise<boolean> {
    return this.queue.renewDeletion(videoId, owner, leaseMs, now);
  }

  completeDeletion(videoId: string, owner: string): Promise<boolean> {
    return this.queue.completeDeletion(videoId, owner);
  }

  failDeletion(
    videoId: string,
    owner: string,
    error: string,
    retryAt: number,
    maxAttempts: number,
  ): Promise<FailOutcome> {
    return this.queue.failDeletion(videoId, owner, error, retryAt, maxAttempts);
  }

  getDeletion(videoId: string): Promise<DeletionRecord | undefined> {
    return this.queue.getDeletion(videoId);
  }

  listDeadDeletions(): Promise<DeletionRecord[]> {
    return this.queue.listDeadDeletions();
  }

  countDeletions(): Promise<{ pending: number; dead: number }> {
    return this.queue.countDeletions();
  }
}
