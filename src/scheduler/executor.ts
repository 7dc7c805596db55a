/**
 * The video-cleanup executor: runs each claimed record as a task on the deletion pool and waits
 * for the whole batch (WaitGroup) before it answers.
 *
 * Invariants:
 * - the answer accounts for every record of the batch exactly once: done, failed (retry
 *   scheduled with backoff), dead-lettered, lost, or — only when a shutdown passed its deadline —
 *   cut off (nothing written; the lease expires and the record comes back);
 * - every write here (failDeletion) is fenced on this node's owner id;
 * - a task that outlives taskTimeoutMs (< leaseMs) is aborted, so no task runs past its lease.
 */

import { serializeError, spawn } from '../actors/index.js';
import { WaitGroup } from '../channels/index.js';
import type { DeletionRecord } from '../store/types.js';
import type { DeletionResult } from './deletion-types.js';
import { backoffMs } from './options.js';
import type { CleanupDeps } from './video-cleanup.js';

export interface BatchReport {
  done: number;
  failed: number;
  deadLettered: number;
  lost: number;
  /** One entry per record that did not end done: `videoId: code: message`. */
  errors: string[];
}

export function spawnExecutor(deps: CleanupDeps) {
  const { config, queue, pool, opts, board, row, log, cutOff } = deps;

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
    const fate = await queue.failDeletion(rec.videoId, opts.owner, why, retryAt, opts.maxAttempts);
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
