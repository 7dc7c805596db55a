/**
 * Options of `startScheduler`, in three pieces: the documented type, frozen defaults, and
 * validation at the entry whose messages name the option.
 */

import { randomUUID } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import type { Config } from '../config.js';
import { type WorkerFile, workerFile } from '../worker-file.js';
import { SchedulerOptionError } from './errors.js';

export interface SchedulerOptions {
  /** Ticker period. @default config.schedulerIntervalMs (SCHEDULER_INTERVAL_MS, seed 3 s) */
  intervalMs?: number;
  /** Deletion records claimed per dispatch. @default config.schedulerBatch (seed 3) */
  batch?: number;
  /** Lease owner written on every claim; unique per scheduler node. @default host:pid:random */
  owner?: string;
  /** How long a claim is held; renewed while its task runs. @default 60000 */
  leaseMs?: number;
  /**
   * A deletion task's deadline: it stops by itself this long after its submission (no store call
   * started after it) and its unfinished videos count as failed (ERR_TASK_DEADLINE), retried. Its
   * pool thread is ended only if it has not answered (leaseMs − taskTimeoutMs) / 4 later.
   * @default leaseMs / 2
   */
  taskTimeoutMs?: number;
  /**
   * How long the executor may take past taskTimeoutMs for its store writes around the tasks
   * (opening its stores on first use, the batch's one failDeletions); an execute call with no
   * answer by taskTimeoutMs + this is a wedged executor thread, replaced. @default 30000
   */
  executeMarginMs?: number;
  /**
   * A claim or release with no answer from the dispatcher thread within this is a wedged
   * dispatcher (a store call that stalls for good, e.g. a MongoDB connection that hangs without a
   * reset: the driver has no socket timeout), replaced. Keep it well above the stores' own
   * timeouts (MongoDB server selection, 5 s) so a store outage ends rounds with a store error
   * rather than restarting the thread. @default 30000
   */
  claimTimeoutMs?: number;
  /** Attempts before a record is dead-lettered. @default 5 */
  maxAttempts?: number;
  /** Retry backoff: base · 2^(attempts-1), capped, with ±20 % jitter. @default 1000 */
  backoffBaseMs?: number;
  /** @default 300000 */
  backoffMaxMs?: number;
  /** Threads of the deletion pool. @default min(4, available cores) */
  poolThreads?: number;
  /** The session purge runs every N ticks. @default 20 (once a minute at the seed's 3 s) */
  sessionPurgeEveryTicks?: number;
  /** Start a round at once instead of waiting for the first tick. @default true */
  runAtStart?: boolean;
  /**
   * The deletion task module the executor's pool runs (default export wrapped with defineTask).
   * @default src/scheduler/deletion.task
   */
  taskFile?: WorkerFile;
  /**
   * The stores the dispatcher and executor threads open: a module (file URL) exporting
   * `openStores(config, data)`, and the structured-clonable `data` passed to it.
   * @default src/store's openStores
   */
  stores?: { module: string; data?: unknown };
  /** The lifecycle sweep (stale uploads, orphan blobs) runs every N ticks. @default 1200 (1 h at 3 s) */
  sweepEveryTicks?: number;
  /** An upload not completed after this long is purged by the sweep. @default 86400000 (24 h) */
  uploadTtlMs?: number;
  /** A blob with no video record is removed by the sweep once older than this. @default 3600000 */
  orphanGraceMs?: number;
  /** Supervisor of the actor threads: most restarts tolerated within restartPeriodMs. @default 5 */
  restartIntensity?: number;
  /** @default 60000 */
  restartPeriodMs?: number;
  /**
   * A `close()` past its deadline still waits this long for the batch claimed ahead to be given
   * back (one dispatcher ask, one store write); past it those records come back when their leases
   * end. The stop is late already, so the wait is bounded. @default 2000
   */
  releaseAfterDeadlineMs?: number;
}

export type ResolvedSchedulerOptions = Readonly<
  Required<Omit<SchedulerOptions, 'stores'>> & Pick<SchedulerOptions, 'stores'>
>;

export const SCHEDULER_DEFAULTS = Object.freeze({
  leaseMs: 60_000,
  // A MongoDB write during a failover waits for server selection (5 s, mongo-connect.ts) and may
  // retry once: 30 s leaves room for that on a loaded machine without hours of a wedged thread.
  executeMarginMs: 30_000,
  // Six times MongoDB's server selection wait: an outage answers with a store error well before.
  claimTimeoutMs: 30_000,
  maxAttempts: 5,
  backoffBaseMs: 1000,
  backoffMaxMs: 300_000,
  sessionPurgeEveryTicks: 20,
  runAtStart: true,
  restartIntensity: 5,
  restartPeriodMs: 60_000,
  sweepEveryTicks: 1200,
  uploadTtlMs: 86_400_000,
  orphanGraceMs: 3_600_000,
  releaseAfterDeadlineMs: 2000,
});

/** The options whose default is a number in SCHEDULER_DEFAULTS. */
type DefaultedInt = {
  [K in keyof typeof SCHEDULER_DEFAULTS]: (typeof SCHEDULER_DEFAULTS)[K] extends number ? K : never;
}[keyof typeof SCHEDULER_DEFAULTS];

function positiveInt(name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new SchedulerOptionError(`options.${name} must be an integer ≥ ${min}, got ${String(v)}`);
  }
  return v;
}

export function resolveOptions(config: Config, o: SchedulerOptions = {}): ResolvedSchedulerOptions {
  const leaseMs = positiveInt('leaseMs', o.leaseMs ?? SCHEDULER_DEFAULTS.leaseMs, 100);
  const taskTimeoutMs = positiveInt('taskTimeoutMs', o.taskTimeoutMs ?? Math.floor(leaseMs / 2));
  if (taskTimeoutMs >= leaseMs) {
    // A task outliving its lease could run while another node re-claims the record.
    throw new SchedulerOptionError(
      `options.taskTimeoutMs (${taskTimeoutMs}) must be below options.leaseMs (${leaseMs})`,
    );
  }
  const owner = o.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > 200) {
    throw new SchedulerOptionError('options.owner must be a non-empty string of ≤ 200 characters');
  }
  if (o.taskFile !== undefined && !(o.taskFile?.url instanceof URL)) {
    throw new SchedulerOptionError('options.taskFile must come from workerFile()');
  }
  if (o.stores !== undefined && typeof o.stores?.module !== 'string') {
    throw new SchedulerOptionError('options.stores.module must be a module URL string');
  }
  /** An integer option, its SCHEDULER_DEFAULTS value when unset. */
  const defaulted = (name: DefaultedInt, min = 1) =>
    positiveInt(name, o[name] ?? SCHEDULER_DEFAULTS[name], min);
  return Object.freeze({
    intervalMs: positiveInt('intervalMs', o.intervalMs ?? config.schedulerIntervalMs, 1),
    batch: positiveInt('batch', o.batch ?? config.schedulerBatch),
    owner,
    leaseMs,
    taskTimeoutMs,
    executeMarginMs: defaulted('executeMarginMs'),
    claimTimeoutMs: defaulted('claimTimeoutMs'),
    maxAttempts: defaulted('maxAttempts'),
    backoffBaseMs: defaulted('backoffBaseMs', 0),
    backoffMaxMs: defaulted('backoffMaxMs', 0),
    poolThreads: positiveInt('poolThreads', o.poolThreads ?? Math.min(4, availableParallelism())),
    sessionPurgeEveryTicks: defaulted('sessionPurgeEveryTicks'),
    runAtStart: o.runAtStart ?? SCHEDULER_DEFAULTS.runAtStart,
    taskFile: o.taskFile ?? workerFile(import.meta.url, './deletion.task'),
    stores: o.stores,
    sweepEveryTicks: defaulted('sweepEveryTicks'),
    uploadTtlMs: defaulted('uploadTtlMs', 0),
    orphanGraceMs: defaulted('orphanGraceMs', 0),
    restartIntensity: defaulted('restartIntensity', 0),
    restartPeriodMs: defaulted('restartPeriodMs'),
    releaseAfterDeadlineMs: defaulted('releaseAfterDeadlineMs', 0),
  });
}

/**
 * How long past its deadline (taskTimeoutMs after submission) a deletion task may still run before
 * the pool ends its thread (the backstop). The task stops by itself at its deadline; the
 * backstop is for a thread that cannot (its event loop blocked). A quarter of the margin between
 * taskTimeoutMs and leaseMs: the task's leases outlive it by another quarter (minLeaseUntil).
 */
export function abortGraceMs(o: { leaseMs: number; taskTimeoutMs: number }): number {
  return Math.max(1, Math.floor((o.leaseMs - o.taskTimeoutMs) / 4));
}

/** Exponential backoff with ±20 % jitter so failed records of one batch do not retry in lockstep. */
export function backoffMs(
  opts: Pick<ResolvedSchedulerOptions, 'backoffBaseMs' | 'backoffMaxMs'>,
  attempts: number,
): number {
  const exp = opts.backoffBaseMs * 2 ** Math.max(0, attempts - 1);
  const capped = Math.min(opts.backoffMaxMs, exp);
  return Math.round(capped * (0.8 + Math.random() * 0.4));
}
