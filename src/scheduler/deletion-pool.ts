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
  /** Runs one task (its videos' results in order); rejects only if the thread died or `signal` aborted it. */
  run(task: DeletionTask, signal: AbortSignal): Promise<DeletionResult[]>;
  /** Lets running tasks finish, then ends the threads. Idempotent. */
  close(): Promise<void>;
}

/**
 * Tasks one pool thread runs at once. A task mostly waits on the store and the file system, and
 * lmdb-js commits the write transactions issued meanwhile on a thread together, so the tasks of
 * a thread share their commits as well as the thread.
 */
export const TASKS_PER_THREAD = 8;

/** `file`: the deletion task module (SchedulerOptions.taskFile; tests pass their own). */
export function createDeletionPool(opts: { threads: number; file: WorkerFile }): DeletionPool {
  const pool = createPool<DeletionTask, DeletionResult[]>({
    file: opts.file,
    threads: opts.threads,
    tasksPerThread: TASKS_PER_THREAD,
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
