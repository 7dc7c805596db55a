/**
 * The video-cleanup executor's behaviour (it runs on its own thread: executor.worker.ts): runs
 * each claimed record as a task on the deletion pool and answers once the whole batch settled.
 *
 * Invariants:
 * - the answer accounts for every record of the batch exactly once: done, failed (retry
 *   scheduled with backoff), dead-lettered or lost;
 * - every write here (failDeletion) is fenced on this node's owner id, so a record re-claimed by
 *   another node after our lease is never written by us;
 * - a task that outlives taskTimeoutMs (< leaseMs) is aborted, so no task runs past its lease;
 *   a pool thread that dies mid-task is replaced by the pool and the record retried (every step
 *   of a deletion is idempotent, so the retry starts over safely);
 * - a failDeletion that fails (store down) is counted in `storeErrors`: the record's lease
 *   expires and it comes back; the caller ends the round with an error.
 */
import { WaitGroup } from '../channels/index.js';
import { serializeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeletionQueue, DeletionRecord } from '../store/types.js';
import type { DeletionPool } from './deletion-pool.js';
import type { DeletionResult } from './deletion-types.js';
import { backoffMs } from './options.js';
import type { ThreadData } from './thread-data.js';

export interface BatchReport {
  done: number;
  failed: number;
  deadLettered: number;
  lost: number;
  /** failDeletion writes that failed (the store is down): the round ends with an error. */
  storeErrors: number;
  /** One entry per record that did not end done: `videoId: code: message`. */
  errors: string[];
}

export interface ExecutorDeps {
  queue: DeletionQueue;
  pool: DeletionPool;
  data: ThreadData;
  log: Logger;
}

async function one(deps: ExecutorDeps, rec: DeletionRecord, report: BatchReport): Promise<void> {
  const { queue, pool, data, log } = deps;
  let res: DeletionResult;
  try {
    res = await pool.run(
      { config: data.config, videoId: rec.videoId, owner: data.owner, leaseMs: data.leaseMs },
      AbortSignal.timeout(data.taskTimeoutMs),
    );
  } catch (err) {
    // The pool thread died or the task timed out: the deletion may be half done, which is
    // fine — every step is idempotent and the retry starts over.
    const now = Date.now();
    res = {
      videoId: rec.videoId,
      outcome: 'failed',
      error: serializeError(err),
      start: now,
      end: now,
    };
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
  const retryAt = Date.now() + backoffMs(data, rec.attempts + 1);
  const fate = await queue.failDeletion(rec.videoId, data.owner, why, retryAt, data.maxAttempts);
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

/** Runs the batch; resolves once every record settled. Never rejects for one record's failure. */
export async function executeBatch(
  deps: ExecutorDeps,
  batch: DeletionRecord[],
): Promise<BatchReport> {
  const report: BatchReport = {
    done: 0,
    failed: 0,
    deadLettered: 0,
    lost: 0,
    storeErrors: 0,
    errors: [],
  };
  const wg = new WaitGroup();
  for (const rec of batch) {
    wg.go(() =>
      one(deps, rec, report).catch((err) => {
        // failDeletion itself failed (store down): the lease will expire and the record comes
        // back; counted so the round ends with an error.
        report.storeErrors++;
        report.errors.push(`${rec.videoId}: ${serializeError(err).message}`);
        deps.log.error('could not record a failed deletion', { video: rec.videoId, error: err });
      }),
    );
  }
  await wg.wait();
  return report;
}
