/**
 * The video-cleanup runner: a dispatcher actor (dispatcher.ts) that claims deletion records with
 * a lease, and an executor actor (executor.ts) that runs each claimed record as a task on the
 * deletion pool and waits for the whole batch before it answers.
 */
import type { ActorRef } from '../actors/index.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { DeletionQueue, DeletionRecord } from '../store/types.js';
import type { DeletionPool } from './deletion-pool.js';
import { spawnDispatcher } from './dispatcher.js';
import { type BatchReport, spawnExecutor } from './executor.js';
import type { ResolvedSchedulerOptions } from './options.js';
import { Runner } from './runner.js';
import type { StatsBoard } from './stats.js';

export type { BatchReport } from './executor.js';

export interface CleanupDeps {
  config: Config;
  queue: DeletionQueue;
  pool: DeletionPool;
  opts: ResolvedSchedulerOptions;
  board: StatsBoard;
  /** This runner's row on the board. */
  row: number;
  log: Logger;
  /** Aborted when a shutdown passes its deadline: running tasks are cut off. */
  cutOff: AbortSignal;
}

export interface VideoCleanup {
  readonly runner: Runner<DeletionRecord>;
  readonly dispatcher: ActorRef<{ limit: number }, DeletionRecord[]>;
  readonly executor: ActorRef<{ batch: DeletionRecord[] }, BatchReport>;
}

/** The runner whose Dispatcher and Executor functions talk to the two actors. */
export function videoCleanup(deps: CleanupDeps): VideoCleanup {
  const dispatcher = spawnDispatcher(deps);
  const executor = spawnExecutor(deps);
  const { opts } = deps;
  // An ask covers the whole batch: tasks are bounded by taskTimeoutMs, queued tasks by the pool
  // size; the margin covers the store writes around them.
  const batchWaves = Math.ceil(opts.batch / opts.poolThreads);
  const executeTimeout = batchWaves * (opts.taskTimeoutMs + opts.taskDelayMs) + 30_000;
  const runner = new Runner<DeletionRecord>({
    name: 'video-cleanup',
    size: opts.batch,
    longLived: true,
    dispatcher: async (data) => {
      const batch = await dispatcher.ask({ limit: data.capacity }, { timeout: 30_000 });
      for (const rec of batch) data.trySend(rec); // Data is empty and holds `size`: never blocks
      return batch.length;
    },
    executor: async (data, count) => {
      const batch: DeletionRecord[] = [];
      for (let i = 0; i < count; i++) {
        const r = data.tryRecv();
        if (r?.ok) batch.push(r.value);
      }
      await executor.ask({ batch }, { timeout: executeTimeout });
    },
  });
  return { runner, dispatcher, executor };
}
