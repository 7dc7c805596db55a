/**
 * startScheduler: the seed's `taskrunner.Start()` — one Ticker driving the runners:
 * video cleanup (dispatcher + executor actors over the deletion pool) and session purge.
 *
 * Lifecycle: started on return; `close(deadlineMs)` stops the ticker, lets the batch in hand
 * finish within the deadline, then stops the actors, ends the pool threads and unpublishes the
 * stats board. Idempotent: extra callers get the same promise. The caller keeps ownership of
 * the record store passed in `deps` (close it after `close()` resolves).
 */
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import type { DeletionQueue, RecordStore } from '../store/types.js';
import { createDeletionPool } from './deletion-pool.js';
import { resolveOptions, type SchedulerOptions } from './options.js';
import { sessionPurge } from './session-purge.js';
import { type RunnerCounters, StatsBoard } from './stats.js';
import { publishStats } from './stats-client.js';
import { Ticker } from './ticker.js';
import { videoCleanup } from './video-cleanup.js';

export interface SchedulerDeps {
  /** The main thread's record store (session purge). */
  records: RecordStore;
  /** The main thread's deletion queue (claims, failures). */
  queue: DeletionQueue;
  log?: Logger;
}

export interface SchedulerStats {
  /** This node's lease owner id. */
  owner: string;
  runners: Record<string, RunnerCounters>;
}

export interface Scheduler {
  readonly owner: string;
  /** Counters per runner, read now. */
  stats(): SchedulerStats;
  /**
   * Graceful stop. Resolves true if the rounds in flight finished within `deadlineMs`; on false
   * the pool's remaining tasks were cut off — harmless: their records come back after the lease.
   */
  close(deadlineMs?: number): Promise<boolean>;
}

export const RUNNER_NAMES = Object.freeze(['video-cleanup', 'session-purge'] as const);

export function startScheduler(
  config: Config,
  deps: SchedulerDeps,
  options: SchedulerOptions = {},
): Scheduler {
  const opts = resolveOptions(config, options);
  const log = deps.log ?? createLogger('scheduler');
  const board = new StatsBoard(RUNNER_NAMES);
  const pool = createDeletionPool({ threads: opts.poolThreads });
  const cutOff = new AbortController();
  const cleanup = videoCleanup({
    config: { ...config },
    queue: deps.queue,
    pool,
    opts,
    board,
    row: 0,
    log: log.child('video-cleanup'),
    cutOff: cutOff.signal,
  });
  const purge = sessionPurge({ records: deps.records, board, row: 1, log: log.child('purge') });
  const ticker = new Ticker({
    intervalMs: opts.intervalMs,
    runners: [
      { runner: cleanup.runner, everyTicks: 1 },
      { runner: purge, everyTicks: opts.sessionPurgeEveryTicks },
    ],
    board,
    log,
    runAtStart: opts.runAtStart,
  });
  const unpublish = publishStats(board, config);
  ticker.start();
  log.info('scheduler started', {
    owner: opts.owner,
    intervalMs: opts.intervalMs,
    batch: opts.batch,
    threads: opts.poolThreads,
  });

  let closing: Promise<boolean> | undefined;
  return {
    owner: opts.owner,
    stats: () => ({ owner: opts.owner, runners: board.snapshot() }),
    close(deadlineMs = 10_000) {
      closing ??= (async () => {
        const finished = await ticker.stop(deadlineMs);
        if (!finished) {
          log.warn('rounds still running at the deadline: cutting them off (their leases expire)');
          cutOff.abort();
          await ticker.stop(deadlineMs);
        }
        await Promise.all([cleanup.dispatcher.stop(), cleanup.executor.stop()]).catch(() => {});
        await pool.close();
        unpublish();
        log.info('scheduler stopped', { owner: opts.owner, finished });
        return finished;
      })();
      return closing;
    },
  };
}
