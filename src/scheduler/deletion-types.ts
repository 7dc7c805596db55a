/**
 * What crosses the thread boundary between the executor actor and a deletion task: plain data
 * only (structured clone), so a task never shares an object with the main thread.
 */
import type { Config } from '../config.js';

/**
 * Chunks of a task run at once on its pool thread, each chunk's store steps one call for the
 * chunk. A chunk mostly waits (the threadpool's unlinks, LMDB's commit and flush), and lmdb-js
 * commits the write transactions issued meanwhile on a thread together, so the chunks share
 * their commits as well as the thread. One chunk at a time left each pool thread ≈ 30 % busy
 * (bench:scheduler, 2 threads).
 */
export const CHUNKS_PER_TASK = 8;

/** `items` in at most `parts` slices of consecutive items, of near-equal size, none empty. */
export function splitInto<T>(items: readonly T[], parts: number): T[][] {
  const size = Math.ceil(items.length / Math.max(1, Math.min(items.length, parts)));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Several deletions in one task: the task's store writes are one batch call per step. */
export interface DeletionTask {
  /** The configuration, as plain data: the task opens its own stores from it. */
  readonly config: Config;
  /** The videos of the task (claimed by `owner`); at most STORE_LIMITS.batchIds. */
  readonly videoIds: readonly string[];
  /** Lease owner: the task works only while it holds the lease, and completes fenced on it. */
  readonly owner: string;
  readonly leaseMs: number;
  /**
   * Epoch ms (submission + taskTimeoutMs): the task starts no store call from then on and answers,
   * its unsettled videos failed with ERR_TASK_DEADLINE. The pool ends the thread only later
   * (abortGraceMs in options.ts), if the task could not answer.
   */
  readonly deadline: number;
  /**
   * Epoch ms, after the deadline and before the pool's abort: until then a completion already in
   * flight at the deadline, or at a stop (then at most STOP_SETTLE_MS after the task saw it), may
   * answer before the task closes its stores (deletion.task.ts). Absent: none is waited for.
   */
  readonly settleBy?: number;
  /**
   * Epoch ms: a lease ending before this is renewed at the task's start, one ending later is
   * only confirmed (a read). The executor sets it to the deadline plus half the margin the
   * options keep between deadline and lease end ((leaseMs − taskTimeoutMs) / 2), past the
   * pool's abort (a quarter), so no confirmed lease can run out while the task runs.
   */
  readonly minLeaseUntil: number;
  /**
   * The scheduler's task signals (task-signals.ts): the task stops as at its deadline once
   * STOP_SLOT is set, and counts itself in RUNNING_SLOT until it has answered. Absent: only the
   * deadline.
   */
  readonly signals?: SharedArrayBuffer;
  /**
   * The task's own mark of its count in RUNNING_SLOT (taskMark(), task-signals.ts), so the
   * executor takes the count back if the task's thread is ended while counted.
   */
  readonly mark?: SharedArrayBuffer;
}

export type DeletionOutcome = 'done' | 'lost' | 'failed';

/** One per video of the task, in the task's order. */
export interface DeletionResult {
  readonly videoId: string;
  /** done: everything deleted and the record completed; lost: the lease was gone (nothing written after that); failed: see error. */
  readonly outcome: DeletionOutcome;
  readonly error?: { code: string; message: string };
  /**
   * failed only: the video's completion was issued and never answered (the store went away, or
   * the deadline closed the stores first), so the store may have applied it. The executor then
   * counts it done if recording the failure finds the record gone while the lease was ours.
   */
  readonly unanswered?: true;
  /** Epoch ms of the first and last store/blob access (for the overlap check in tests). */
  readonly start: number;
  readonly end: number;
}
