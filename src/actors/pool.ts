/**
 * A thin piscina pool for executor tasks and CPU work (password hashing). What it adds:
 *   - options validated at the entry, naming the option; `idleTimeoutMs` may not be 0 (a thread
 *     would be torn down and re-created between every pair of tasks: thread thrashing);
 *   - errors thrown in a task (defineTask) come back as their own classes via the code registry;
 *     an abort rejects ERR_TASK_ABORTED; a closed pool rejects ERR_POOL_CLOSED (never throws);
 *   - the worker file comes from workerFile(), so it runs from sources and from dist/;
 *   - close() waits for the running tasks itself: piscina's own wait can end a thread mid-task.
 */
import { availableParallelism } from 'node:os';
import type { ResourceLimits, TransferListItem } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { WorkerFile } from '../worker-file.js';
import {
  InvalidArgumentError,
  isSerializedError,
  PoolBusyError,
  PoolClosedError,
  rebuildError,
  TaskAbortedError,
} from './errors.js';
import type { TaskEnvelope } from './pool-task.js';

export interface PoolOptions {
  /** The task module (default export wrapped with defineTask), from workerFile(). */
  file: WorkerFile;
  /** Most threads. @default availableParallelism() */
  threads?: number;
  /** Threads kept even when idle. @default 0 */
  minThreads?: number;
  /** Idle milliseconds before a thread above minThreads exits; must be > 0. @default 30000 */
  idleTimeoutMs?: number;
  /** Most queued tasks before run() rejects (piscina's maxQueue). @default threads² ('auto') */
  maxQueue?: number;
  /**
   * Tasks one thread runs at once (piscina's concurrentTasksPerWorker). Above 1 only for tasks
   * that mostly wait on I/O: their awaits interleave on the thread. @default 1
   */
  tasksPerThread?: number;
  resourceLimits?: ResourceLimits;
  name?: string;
}

export const POOL_DEFAULTS = Object.freeze({ minThreads: 0, idleTimeoutMs: 30_000 });

export interface RunOptions {
  signal?: AbortSignal;
  transferList?: TransferListItem[];
}

export interface Pool<I, O> {
  run(input: I, options?: RunOptions): Promise<O>;
  /** Let queued and running tasks finish, then end the threads. Idempotent. */
  close(): Promise<void>;
  readonly threads: number;
  readonly queueSize: number;
  readonly completed: number;
}

function positiveInt(name: string, v: unknown, min = 1): number {
  if (!Number.isInteger(v) || (v as number) < min) {
    throw new InvalidArgumentError(`options.${name} must be an integer >= ${min}`);
  }
  return v as number;
}

class PiscinaPool<I, O> implements Pool<I, O> {
  readonly #p: Piscina;
  #closing: Promise<void> | undefined;
  /** Tasks submitted and not settled: close() waits for them itself (see close). */
  readonly #running = new Set<Promise<unknown>>();

  constructor(o: PoolOptions) {
    if (typeof o?.file?.path !== 'string' || !Array.isArray(o.file.execArgv)) {
      throw new InvalidArgumentError('options.file must come from workerFile()');
    }
    const threads = positiveInt('threads', o.threads ?? availableParallelism());
    const minThreads = positiveInt('minThreads', o.minThreads ?? POOL_DEFAULTS.minThreads, 0);
    if (minThreads > threads)
      throw new InvalidArgumentError('options.minThreads must be <= threads');
    const idle = o.idleTimeoutMs ?? POOL_DEFAULTS.idleTimeoutMs;
    if (typeof idle !== 'number' || !(idle > 0)) {
      throw new InvalidArgumentError('options.idleTimeoutMs must be > 0 (0 thrashes threads)');
    }
    if (o.maxQueue !== undefined) positiveInt('maxQueue', o.maxQueue, 0);
    const perThread = positiveInt('tasksPerThread', o.tasksPerThread ?? 1);
    this.#p = new Piscina({
      filename: o.file.path,
      execArgv: o.file.execArgv,
      maxThreads: threads,
      minThreads,
      idleTimeout: idle,
      maxQueue: o.maxQueue ?? 'auto',
      concurrentTasksPerWorker: perThread,
      resourceLimits: o.resourceLimits,
      name: 'default',
    });
  }

  get threads(): number {
    return this.#p.maxThreads;
  }
  get queueSize(): number {
    return this.#p.queueSize;
  }
  get completed(): number {
    return this.#p.completed;
  }

  async run(input: I, options: RunOptions = {}): Promise<O> {
    if (this.#closing) throw new PoolClosedError();
    let env: TaskEnvelope<O>;
    const running = this.#p.run(input, {
      signal: options.signal ?? null,
      transferList: options.transferList as never,
    });
    this.#running.add(running);
    try {
      env = await running;
    } catch (err) {
      if (options.signal?.aborted || (err as Error)?.name === 'AbortError') {
        throw new TaskAbortedError();
      }
      // piscina signals a full queue with a plain Error; this is the one place that reads it.
      if ((err as Error)?.message === 'Task queue is at limit') throw new PoolBusyError();
      throw isSerializedError(err) ? rebuildError(err) : err;
    } finally {
      this.#running.delete(running);
    }
    if (env?.ok === true) return env.value;
    if (env?.ok === false) throw rebuildError(env.error);
    // A task module that forgot defineTask: hand its value through unchanged.
    return env as O;
  }

  /**
   * Waits for every task submitted to settle (each bounded by its own signal, if any), then lets
   * piscina end the idle threads. Not piscina's own wait: its close() counts finished tasks once
   * per listener it registered (one per thread, plus one), so with two or more tasks running it
   * resolves when the first one ends and destroys the threads still running theirs — a pool
   * thread ended inside an lmdb-js call aborts the process (src/store/lmdb-env.ts).
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#running]);
      await this.#p.close();
    })();
    return this.#closing;
  }
}

/** A pool of worker threads running one task module. Throws (synchronously) on bad options. */
export function createPool<I, O>(options: PoolOptions): Pool<I, O> {
  return new PiscinaPool<I, O>(options);
}
