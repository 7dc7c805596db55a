/**
 * The pool of threads that run deletion tasks (deletion.task.ts), over the actor layer's piscina
 * wrapper (validated options, coded errors, abort → ERR_TASK_ABORTED).
 *
 * Threads stay alive between rounds (a long idle timeout) because each opens its own stores on
 * first use, and reopening them every round would dominate the cost of a deletion.
 */

import { createPool } from '../actors/pool.js';
import type { WorkerFile } from '../worker-file.js';
import type { DeletionResult, DeletionTask } from './deletion-types.js';

export interface DeletionPool {
  /** Runs one deletion; rejects only if the thread died or `signal` aborted it. */
  run(task: DeletionTask, signal: AbortSignal): Promise<DeletionResult>;
  /** Lets running tasks finish, then ends the threads. Idempotent. */
  close(): Promise<void>;
}

/**
 * Deletions one pool thread runs at once. A deletion mostly waits on the store, and lmdb-js
 * commits the write transactions issued meanwhile on a thread together: one disk sync for many
 * deletions instead of four per deletion (one at a time, LMDB managed about 410/s).
 */
export const DELETIONS_PER_THREAD = 32;

/** `file`: the deletion task module (SchedulerOptions.taskFile; tests pass their own). */
export function createDeletionPool(opts: { threads: number; file: WorkerFile }): DeletionPool {
  const pool = createPool<DeletionTask, DeletionResult>({
    file: opts.file,
    threads: opts.threads,
    tasksPerThread: DELETIONS_PER_THREAD,
    // The executor hands over a whole batch at once; beyond the running ones they queue here.
    maxQueue: 4096,
    idleTimeoutMs: 60_000,
    name: 'deletion',
  });
  return {
    run: (task, signal) => pool.run(task, { signal }),
    close: () => pool.close(),
  };
}
