/**
 * The video-cleanup runner: a dispatcher actor that claims deletion records with a lease, and an
 * executor actor that runs each claimed record as a task on the deletion pool and waits for the
 * whole batch (WaitGroup) before it answers.
 *
 * Invariants:
 * - a record reaches the executor only through a claim by this node's owner id; every later
 *   write (the task's complete, our failDeletion) is fenced on that owner, so a record re-claimed
 *   by another node after our lease is never written by us;
 * - the executor's answer accounts for every record of the batch exactly once: done, failed
 *   (retry scheduled with backoff), dead-lettered, lost, or — only when a shutdown passed its
 *   deadline — cut off (nothing written; the lease expires and the record comes back);
 * - a task that outlives taskTimeoutMs (< leaseMs) is aborted, so no task runs past its lease.
 */

import { WaitGroup } from '../../channels/index.js';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { DeletionRecord, RecordStore } from '../../store/types.js';
import { type ActorRef, serializeError, spawn } from '../index.js';
import type { DeletionPool } from './deletion-pool.js';
import type { DeletionResult } from './deletion-types.js';
import { backoffMs, type ResolvedSchedulerOptions } from './options.js';
import { Runner } from './runner.js';
import type { StatsBoard } from './stats.js';

export interface BatchReport {
  done: number;
  failed: number;
  deadLettered: number;
  lost: number;
  /** One entry per record that did not end done: `videoId: code: message`. */
  errors: string[];
}

interface Deps {
  config: Config;
  records: RecordStore;
  pool: DeletionPool;
  opts: ResolvedSchedulerOptions;
  board: StatsBoard;
  /** This runner's row on the board. */
  row: number;
  log: Logger;
  /** Aborted when a shutdown passes its deadline: running tasks are cut off. */
  cutOff: AbortSignal;
}

export function spawnDispatcher({ records, opts, board, row }: Deps) {
  return spawn<{ limit: number }, DeletionRecord[]>(
    async ({ limit }) => {
      const claimed = await records.claimDeletions(opts.owner, limit, opts.leaseMs, Date.now());
      board.add(row, 'claimed', claimed.length);
      return claimed;
    },
    { name: 'video-cleanup.dispatcher', mailbox: 1 },
  );
}

export function spawnExecutor(deps: Deps) {
  const { config, records, pool, opts, board, row, log, cutOff } = deps;

  async function one(rec: DeletionRecord, report: BatchReport): Promise<void> {
    let res: DeletionResult;
    try {
      res = await pool.run(
        {
          config,
          videoId: rec.videoId,
          owner: opts.owner,
          leaseMs: opts.leaseMs,
          delayMs: opts.taskDelayMs,
          executionLog: opts.executionLog,
        },
        AbortSignal.any([AbortSignal.timeout(opts.taskTimeoutMs), cutOff]),
      );
    } catch (err) {
      if (cutOff.aborted) {
        // Shutdown past its deadline: write nothing; the lease expires and another run retries.
        report.errors.push(`${rec.videoId}: cut off by shutdown`);
        log.warn('deletion cut off by shutdown', { video: rec.videoId });
        return;
      }
      // The pool thread died or the task timed out: the deletion may be half done, which is
      // fine — every step is idempotent and the retry starts over.
      const e = serializeError(err);
      const now = Date.now();
      res = { videoId: rec.videoId, outcome: 'failed', error: e, start: now, end: now };
    }
    if (res.outcome === 'done') {
      report.done++;
      log.debug('video deleted', { video: rec.videoId });
      return;
    }
    if (res.outcome === 'lost') {
      report.lost++;
      report.errors.push(`${rec.videoId}: lease lost`);
      log.warn('lease lost before the deletion completed', { video: rec.videoId });
      return;
    }
    const why = `${res.error?.code}: ${res.error?.message}`;
    report.errors.push(`${rec.videoId}: ${why}`);
    const retryAt = Date.now() + backoffMs(opts, rec.attempts + 1);
    const fate = await records.failDeletion(
      rec.videoId,
      opts.owner,
      why,
      retryAt,
      opts.maxAttempts,
    );
    if (fate === 'retry') {
      report.failed++;
      log.warn('deletion failed, will retry', {
        video: rec.videoId,
        attempt: rec.attempts + 1,
        error: why,
      });
    } else if (fate === 'dead') {
      report.deadLettered++;
      log.error('deletion dead-lettered', {
        video: rec.videoId,
        attempts: rec.attempts + 1,
        error: why,
      });
    } else {
      report.lost++;
      log.warn('lease lost before the failure was recorded', { video: rec.videoId });
    }
  }

  return spawn<{ batch: DeletionRecord[] }, BatchReport>(
    async ({ batch }) => {
      const report: BatchReport = { done: 0, failed: 0, deadLettered: 0, lost: 0, errors: [] };
      const wg = new WaitGroup();
      for (const rec of batch) {
        wg.go(() =>
          one(rec, report).catch((err) => {
            // failDeletion itself failed (store down): the lease will expire and the record
            // comes back; count it as failed so it is visible.
            report.failed++;
            report.errors.push(`${rec.videoId}: ${serializeError(err).message}`);
            log.error('could not record a failed deletion', { video: rec.videoId, error: err });
          }),
        );
      }
      await wg.wait();
      board.add(row, 'done', report.done);
      board.add(row, 'failed', report.failed);
      board.add(row, 'deadLettered', report.deadLettered);
      board.add(row, 'lost', report.lost);
      return report;
    },
    { name: 'video-cleanup.executor', mailbox: 1 },
  );
}

export interface VideoCleanup {
  readonly runner: Runner<DeletionRecord>;
  readonly dispatcher: ActorRef<{ limit: number }, DeletionRecord[]>;
  readonly executor: ActorRef<{ batch: DeletionRecord[] }, BatchReport>;
}

/** The runner whose Dispatcher and Executor functions talk to the two actors. */
export function videoCleanup(deps: Deps): VideoCleanup {
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
