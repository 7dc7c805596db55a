/**
 * startScheduler: the seed's `taskrunner.Start()` — one Ticker driving the runners: video cleanup
 * (dispatcher and executor actors on worker threads under a supervisor, the executor owning the
 * deletion pool) and session purge (on this thread's record store).
 *
 * Lifecycle: started on return (the actor threads come up in the background; rounds before they
 * are ready end with an error and the next tick retries). `close(deadlineMs)` stops the ticker,
 * lets the batch in hand finish within the deadline, gives back the batch claimed ahead (its
 * records claimable at once; past the deadline it waits for that at most releaseAfterDeadlineMs),
 * then stops the actor threads (past the deadline they are killed once their running deletion
 * tasks stopped by themselves — task-signals.ts, at most TASKS_STOP_MS — and the leases expire).
 * Idempotent. `failed` resolves if the actor supervisor gave up (restart intensity exceeded):
 * the caller escalates (server.ts: its supervisor; the process exits non-zero in the end). The
 * caller keeps ownership of the stores passed in `deps`.
 */
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import type { BlobStore, DeletionQueue, RecordStore } from '../store/types.js';
import { startCleanupThreads } from './cleanup-threads.js';
import { lifecycleSweep } from './lifecycle-sweep.js';
import { abortGraceMs, resolveOptions, type SchedulerOptions } from './options.js';
import { sessionPurge } from './session-purge.js';
import type { ActorRow, RunnerCounters, StatsBoard } from './stats.js';
import { schedulerBoard } from './stats-board.js';
import { taskSignals } from './task-signals.js';
import { plainFile } from './thread-data.js';
import { Ticker } from './ticker.js';
import { type VideoCleanup, videoCleanup } from './video-cleanup.js';

export interface SchedulerDeps {
  /** The main thread's record store (session purge). */
  records: RecordStore;
  /** The main thread's deletion queue (the lifecycle sweep; the actor threads open their own). */
  queue?: DeletionQueue;
  /** The main thread's blob store (the orphan sweep); without it the sweep skips blobs. */
  blobs?: BlobStore;
  /** The tus upload store (the sweep removes expired uploads); without it they are left. */
  tusUploads?: { deleteExpired(): Promise<number> };
  log?: Logger;
  /** Where counters and the actor tree go (schedulerBoard(); server.ts publishes it to the HTTP
   * threads over channels). @default a board of its own */
  board?: StatsBoard;
}

export interface SchedulerStats {
  /** This node's lease owner id. */
  owner: string;
  runners: Record<string, RunnerCounters>;
  /** The supervision tree of the actor threads. */
  actors: ActorRow[];
}

export interface Scheduler {
  readonly owner: string;
  /** Counters per runner and the actor tree, read now. */
  stats(): SchedulerStats;
  /** Resolves with ERR_SUPERVISOR_GAVE_UP if the actor threads kept dying. */
  readonly failed: Promise<unknown>;
  /**
   * Graceful stop. Resolves true if the rounds in flight finished within `deadlineMs`; on false
   * the remaining tasks were cut off — harmless: their records come back after the lease.
   */
  close(deadlineMs?: number): Promise<boolean>;
}

export function startScheduler(
  config: Config,
  deps: SchedulerDeps,
  options: SchedulerOptions = {},
): Scheduler {
  const opts = resolveOptions(config, options);
  const log = deps.log ?? createLogger('scheduler');
  const board = deps.board ?? schedulerBoard();
  const threads = startCleanupThreads({
    data: {
      config: { ...config },
      owner: opts.owner,
      leaseMs: opts.leaseMs,
      taskTimeoutMs: opts.taskTimeoutMs,
      executeMarginMs: opts.executeMarginMs,
      maxAttempts: opts.maxAttempts,
      backoffBaseMs: opts.backoffBaseMs,
      backoffMaxMs: opts.backoffMaxMs,
      poolThreads: opts.poolThreads,
      taskFile: plainFile(opts.taskFile),
      storesModule: opts.stores?.module,
      storesData: opts.stores?.data,
      signals: taskSignals(),
    },
    intensity: opts.restartIntensity,
    periodMs: opts.restartPeriodMs,
    // The executor submits every task of a batch at once (splitBatch: at most one per pool
    // thread, none queued), each stopping at taskTimeoutMs after its submission and aborted
    // abortGraceMs later at the latest: an execute call is bounded by that plus the store writes
    // around the tasks (executeMarginMs). No answer by then means a wedged executor thread (a
    // store call that never returns): it is replaced.
    executeTimeoutMs: opts.taskTimeoutMs + abortGraceMs(opts) + opts.executeMarginMs,
    claimTimeoutMs: opts.claimTimeoutMs,
    log: log.child('video-cleanup'),
    onTree: (tree) => board.setActors(tree),
  });
  const cleanup = videoCleanup({ threads, batch: opts.batch, board, row: 0 });
  const purge = sessionPurge({ records: deps.records, board, row: 1, log: log.child('purge') });
  // Needs the queue to hand stale uploads to the cleanup; blobs are optional (orphans skipped).
  const sweep =
    deps.queue &&
    lifecycleSweep({
      records: deps.records,
      queue: deps.queue,
      blobs: deps.blobs,
      tusUploads: deps.tusUploads,
      uploadTtlMs: opts.uploadTtlMs,
      orphanGraceMs: opts.orphanGraceMs,
      board,
      row: 2,
      log: log.child('sweep'),
    });
  const ticker = new Ticker({
    intervalMs: opts.intervalMs,
    runners: [
      { runner: cleanup.runner, everyTicks: 1 },
      { runner: purge, everyTicks: opts.sessionPurgeEveryTicks },
      ...(sweep ? [{ runner: sweep, everyTicks: opts.sweepEveryTicks }] : []),
    ],
    board,
    log,
    runAtStart: opts.runAtStart,
  });
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
    stats: () => ({ owner: opts.owner, runners: board.snapshot(), actors: board.actors() }),
    failed: threads.failed,
    close(deadlineMs = 10_000) {
      closing ??= (async () => {
        const finished = await ticker.stop(deadlineMs);
        // Past the deadline the wait is bounded: those leases would expire anyway.
        await releaseAhead(cleanup, log, finished ? undefined : opts.releaseAfterDeadlineMs);
        if (finished) await threads.stop();
        else {
          log.warn('rounds still running at the deadline: cutting them off (their leases expire)');
          await threads.kill();
          await ticker.stop(deadlineMs);
        }
        log.info('scheduler stopped', { owner: opts.owner, finished });
        return finished;
      })();
      return closing;
    },
  };
}

/** Never throws: a batch not given back is only claimable later, when its leases end. */
async function releaseAhead(cleanup: VideoCleanup, log: Logger, boundMs?: number): Promise<void> {
  const release = cleanup.releaseAhead().then(
    (n) => {
      if (n > 0) log.info('gave back the batch claimed ahead', { records: n });
    },
    (error: unknown) => log.warn('could not give back the batch claimed ahead', { error }),
  );
  if (boundMs === undefined) return release;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([release, new Promise((r) => (timer = setTimeout(r, boundMs)))]);
  clearTimeout(timer);
}
