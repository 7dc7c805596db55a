/**
 * Options of `startScheduler`, in three pieces: the documented type, frozen defaults, and
 * validation at the entry whose messages name the option.
 */

import { randomUUID } from 'node:crypto';
import { availableParallelism, hostname } from 'node:os';
import type { Config } from '../config.js';
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
  /** A task still running after this is aborted (its pool thread ends) and counts as failed. @default leaseMs / 2 */
  taskTimeoutMs?: number;
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
  /** Testing: each deletion task sleeps this long before deleting. @default 0 */
  taskDelayMs?: number;
  /** Testing: each task appends `{videoId, owner, start, end}` as a JSON line to this file. */
  executionLog?: string;
}

export type ResolvedSchedulerOptions = Readonly<
  Required<Omit<SchedulerOptions, 'executionLog'>> & Pick<SchedulerOptions, 'executionLog'>
>;

export const SCHEDULER_DEFAULTS = Object.freeze({
  leaseMs: 60_000,
  maxAttempts: 5,
  backoffBaseMs: 1000,
  backoffMaxMs: 300_000,
  sessionPurgeEveryTicks: 20,
  runAtStart: true,
  taskDelayMs: 0,
});

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
  if (o.executionLog !== undefined && typeof o.executionLog !== 'string') {
    throw new SchedulerOptionError('options.executionLog must be a file path');
  }
  return Object.freeze({
    intervalMs: positiveInt('intervalMs', o.intervalMs ?? config.schedulerIntervalMs, 1),
    batch: positiveInt('batch', o.batch ?? config.schedulerBatch),
    owner,
    leaseMs,
    taskTimeoutMs,
    maxAttempts: positiveInt('maxAttempts', o.maxAttempts ?? SCHEDULER_DEFAULTS.maxAttempts),
    backoffBaseMs: positiveInt(
      'backoffBaseMs',
      o.backoffBaseMs ?? SCHEDULER_DEFAULTS.backoffBaseMs,
      0,
    ),
    backoffMaxMs: positiveInt('backoffMaxMs', o.backoffMaxMs ?? SCHEDULER_DEFAULTS.backoffMaxMs, 0),
    poolThreads: positiveInt('poolThreads', o.poolThreads ?? Math.min(4, availableParallelism())),
    sessionPurgeEveryTicks: positiveInt(
      'sessionPurgeEveryTicks',
      o.sessionPurgeEveryTicks ?? SCHEDULER_DEFAULTS.sessionPurgeEveryTicks,
    ),
    runAtStart: o.runAtStart ?? SCHEDULER_DEFAULTS.runAtStart,
    taskDelayMs: positiveInt('taskDelayMs', o.taskDelayMs ?? SCHEDULER_DEFAULTS.taskDelayMs, 0),
    executionLog: o.executionLog,
  });
}

/** Exponential backoff with ±20 % jitter so failed records of one batch do not retry in lockstep. */
export function backoffMs(opts: ResolvedSchedulerOptions, attempts: number): number {
  const exp = opts.backoffBaseMs * 2 ** Math.max(0, attempts - 1);
  const capped = Math.min(opts.backoffMaxMs, exp);
  return Math.round(capped * (0.8 + Math.random() * 0.4));
}
