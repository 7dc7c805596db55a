/**
 * The pool of threads that run deletion tasks (deletion.task.ts).
 *
 * Deletions are I/O-bound (a file unlink, a few record writes), so each thread runs a few at
 * once; the pool is small and its threads stay alive between rounds (idleTimeout), because each
 * opens its own stores on first use and reopening them every round would dominate the cost.
 */
import { Piscina } from 'piscina';
import { workerFile } from '../../worker-file.js';
import type { DeletionResult, DeletionTask } from './deletion-types.js';

export interface DeletionPool {
  /** Runs one deletion; rejects only if the thread died or `signal` aborted it. */
  run(task: DeletionTask, signal: AbortSignal): Promise<DeletionResult>;
  /** Lets running tasks finish, then ends the threads. Idempotent. */
  close(): Promise<void>;
  /** Ends the threads now; running tasks reject (a forced shutdown past its deadline). */
  destroy(): Promise<void>;
}

export interface DeletionPoolOptions {
  threads: number;
  /** Tasks one thread runs concurrently. @default 4 */
  perThread?: number;
}

export function createDeletionPool(opts: DeletionPoolOptions): DeletionPool {
  const entry = workerFile(import.meta.url, './deletion.task');
  const pool = new Piscina<DeletionTask, DeletionResult>({
    filename: entry.url.href,
    execArgv: entry.execArgv,
    minThreads: 0,
    maxThreads: opts.threads,
    concurrentTasksPerWorker: opts.perThread ?? 4,
    idleTimeout: 60_000,
    // Tasks are async and their threads hold live store connections: never park them in
    // Atomics.wait between tasks.
    atomics: 'disabled',
  });
  let closing: Promise<void> | undefined;
  return {
    run: (task, signal) => pool.run(task, { signal }),
    close(): Promise<void> {
      closing ??= pool.close();
      return closing;
    },
    destroy(): Promise<void> {
      closing ??= pool.destroy();
      return closing;
    },
  };
}
