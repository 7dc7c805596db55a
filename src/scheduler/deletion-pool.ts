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

/** `file`: the deletion task module (SchedulerOptions.taskFile; tests pass their own). */
export function createDeletionPool(opts: { threads: number; file: WorkerFile }): DeletionPool {
  const pool = createPool<DeletionTask, DeletionResult[]>({
    file: opts.file,
    // One task per thread, and the executor splits a batch into `threads` tasks (splitBatch).
    // Every task is abortable (its timeout), and piscina aborts a task by ending its thread, so it
    // never runs two abortable tasks on one thread (`tasksPerThread` above 1 is ignored for them):
    // a thread's concurrency is inside its task (CHUNKS_PER_TASK in deletion-types.ts).
    // bench:scheduler, interleaved at load 4–5: 5,317 / 5,531 / 4,342 deletions/s with one task
    // per thread against 4,932 / 5,374 / 3,895 with two (4,589 / 4,436 / 4,341 against 4,288 /
    // 4,431 / 4,132 per CPU-s).
    threads: opts.threads,
    // At most `threads` tasks at a time (a batch is one task per thread; the next batch waits
    // for it), so tasks queue only while a thread starts or replaces one that ended (a crash, an
    // abort). The bound is a backstop that the executor never reaches.
    maxQueue: 4096,
    idleTimeoutMs: 60_000,
    name: 'deletion',
  });
  return {
    run: (task, signal) => pool.run(task, { signal }),
    close: () => pool.close(),
  };
}
