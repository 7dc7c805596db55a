/**
 * What crosses the thread boundary between the executor actor and a deletion task: plain data
 * only (structured clone), so a task never shares an object with the main thread.
 */
import type { Config } from '../config.js';

export interface DeletionTask {
  /** The configuration, as plain data: the task opens its own stores from it. */
  readonly config: Config;
  readonly videoId: string;
  /** Lease owner: the task works only while it holds the lease, and completes fenced on it. */
  readonly owner: string;
  readonly leaseMs: number;
}

export type DeletionOutcome = 'done' | 'lost' | 'failed';

export interface DeletionResult {
  readonly videoId: string;
  /** done: everything deleted and the record completed; lost: the lease was gone (nothing written after that); failed: see error. */
  readonly outcome: DeletionOutcome;
  readonly error?: { code: string; message: string };
  /** Epoch ms of the first and last store/blob access (for the overlap check in tests). */
  readonly start: number;
  readonly end: number;
}
