/**
 * The video-cleanup executor's behaviour (it runs on its own thread: executor.worker.ts): splits
 * the claimed batch into tasks — one per pool thread — runs them on the deletion pool, then
 * records every failure of the batch in ONE fenced `failDeletions` call, and answers once the
 * whole batch settled.
 *
 * Invariants:
 * - the answer accounts for every record of the batch exactly once: done, failed (retry
 *   scheduled with backoff), dead-lettered or lost;
 * - every write here (failDeletions) is fenced on this node's owner id, so a record re-claimed
 *   by another node after our lease is never written by us;
 * - a task stops by itself at its deadline (taskTimeoutMs < leaseMs after submission) and is
 *   aborted — its pool thread ended — only if it has not answered abortGraceMs later, so no task
 *   runs past its lease: the task renews every lease that would end before minLeaseUntil
 *   (deadline + half the margin to leaseMs, past the abort) and only confirms, with a read, the
 *   ones that end later (a fresh claim's);
 * - the abort is a backstop, not the timeout: ending a thread inside an lmdb-js call aborts the
 *   whole process (src/store/lmdb-env.ts), and the task closes its stores before it answers at
 *   its deadline, so only a thread whose event loop is blocked is ever ended mid-task; a
 *   completion in flight at the deadline gets half the abort's grace (settleBy) to answer, so
 *   a deletion the store applied is reported done, not failed and never retried; a completion
 *   never answered (`unanswered`) whose failure then finds its record gone while every lease of
 *   the batch still holds (before minLeaseUntil) was applied by us: it counts as done;
 * - once a stop cut the rounds off (task-signals.ts) no failure is recorded: the thread is about
 *   to be ended, and a store write in flight then would abort the process; the leases expire (a
 *   write already started holds the stop off until it is done: unlessStopping); a batch holds
 *   the stop off until its results are settled (counting), so a task's done — a completion the
 *   task let answer after the stop (STOP_SETTLE_MS) — gets its `video deleted` line;
 *   a pool thread that dies mid-task is replaced by the pool and the task's records retried
 *   (every step of a deletion is idempotent, so the retry starts over safely);
 * - a failDeletions that fails (store down) counts its records in `storeErrors`: their leases
 *   expire and they come back; the caller ends the round with an error.
 */
import { serializeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeletionFailure, DeletionQueue, DeletionRecord } from '../store/types.js';
import type { DeletionPool } from './deletion-pool.js';
import { type DeletionResult, splitInto } from './deletion-types.js';
import { abortGraceMs, backoffMs } from './options.js';
import { counting, leaveTask, taskMark, unlessStopping } from './task-signals.js';
import type { ThreadData } from './thread-data.js';

export interface BatchReport {
  done: number;
  failed: number;
  deadLettered: number;
  lost: number;
  /** Records whose failure could not be recorded (the store is down): the round ends with an error. */
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

/**
 * The batch in at most poolThreads tasks of consecutive records: one per pool thread, which runs
 * it alone, its chunks at once (why: createDeletionPool).
 */
export function splitBatch<T>(batch: readonly T[], poolThreads: number): T[][] {
  return splitInto(batch, poolThreads);
}

/**
 * The lease end a task submitted at `now` confirms for its videos: half of the margin from its
 * deadline to leaseMs past the deadline (the abort is at a quarter).
 */
function minLeaseUntil(data: ThreadData, now: number): number {
  return now + Math.ceil((data.leaseMs + data.taskTimeoutMs) / 2);
}

async function runTask(deps: ExecutorDeps, recs: DeletionRecord[]): Promise<DeletionResult[]> {
  const { pool, data } = deps;
  const videoIds = recs.map((r) => r.videoId);
  const now = Date.now();
  const mark = taskMark();
  const grace = abortGraceMs(data);
  try {
    return await pool.run(
      {
        config: data.config,
        videoIds,
        owner: data.owner,
        leaseMs: data.leaseMs,
        deadline: now + data.taskTimeoutMs,
        // Half the abort's grace for a completion in flight at the deadline to answer.
        settleBy: now + data.taskTimeoutMs + Math.floor(grace / 2),
        minLeaseUntil: minLeaseUntil(data, now),
        signals: data.signals,
        mark,
      },
      AbortSignal.timeout(data.taskTimeoutMs + grace),
    );
  } catch (err) {
    // The pool thread died, or missed its deadline by abortGraceMs and was ended: its deletions
    // may be half done, which is fine — every step is idempotent and the retry starts over. A
    // task ended while counted in RUNNING_SLOT never takes its count back: take it here.
    leaveTask(data.signals, mark);
    const now = Date.now();
    const error = serializeError(err);
    return videoIds.map((videoId) => ({ videoId, outcome: 'failed', error, start: now, end: now }));
  }
}

/**
 * Runs the batch; resolves once every record settled. Never rejects for one record's failure.
 * Counted in RUNNING_SLOT until its results are settled: a stop ends this thread only after its
 * `video deleted` lines are written (a task may answer done just before the stop's wait ends).
 */
export function executeBatch(deps: ExecutorDeps, batch: DeletionRecord[]): Promise<BatchReport> {
  return counting(deps.data.signals, () => runBatch(deps, batch), deps.data.held);
}

async function runBatch(deps: ExecutorDeps, batch: DeletionRecord[]): Promise<BatchReport> {
  const { data, log } = deps;
  const report: BatchReport = {
    done: 0,
    failed: 0,
    deadLettered: 0,
    lost: 0,
    storeErrors: 0,
    errors: [],
  };
  const attempts = new Map(batch.map((r) => [r.videoId, r.attempts + 1]));
  // The id of the request that asked for each deletion, on the line that reports it done.
  const reqIds = new Map(batch.map((r) => [r.videoId, r.requestId]));
  // Failures whose completion may have been applied, and when every confirmed lease still holds.
  const unanswered = {
    ids: new Map<string, string | undefined>(),
    leasedUntil: minLeaseUntil(data, Date.now()),
  };
  const tasks = splitBatch(batch, data.poolThreads).map((recs) => runTask(deps, recs));
  const failures: DeletionFailure[] = [];
  for (const res of (await Promise.all(tasks)).flat()) {
    if (res.outcome === 'done') {
      report.done++;
      log.debug('video deleted', { video: res.videoId, reqId: reqIds.get(res.videoId) });
    } else if (res.outcome === 'lost') {
      report.lost++;
      report.errors.push(`${res.videoId}: lease lost`);
      log.warn('lease lost before the deletion completed', { video: res.videoId });
    } else {
      // Its entry in report.errors waits for its fate (recordFailures): an unanswered one may
      // turn out done.
      const error = `${res.error?.code}: ${res.error?.message}`;
      const retryAt = Date.now() + backoffMs(data, attempts.get(res.videoId) ?? 1);
      failures.push({ videoId: res.videoId, error, retryAt });
      if (res.unanswered) unanswered.ids.set(res.videoId, reqIds.get(res.videoId));
    }
  }
  if (failures.length === 0) return report;
  // A stop that cut the round off is about to end this thread: no store write starts then (one
  // in flight when the thread ends could abort the process), and one started holds the stop off.
  const recorded = await unlessStopping(
    data.signals,
    false,
    async () => {
      await recordFailures(deps, failures, attempts, report, unanswered);
      return true;
    },
    data.held,
  );
  if (!recorded) {
    report.lost += failures.length; // their leases expire
    for (const f of failures) report.errors.push(failed(f));
    log.warn('stopping: failed deletions left to their leases', { count: failures.length });
  }
  return report;
}

/** A failure's entry in BatchReport.errors. */
const failed = ({ videoId, error }: DeletionFailure) => `${videoId}: ${error}`;

/** Records the failures (one fenced call) and reports each one's fate, in the batch's order. */
async function recordFailures(
  { queue, data, log }: ExecutorDeps,
  failures: DeletionFailure[],
  attempts: Map<string, number>,
  report: BatchReport,
  unanswered: { ids: Map<string, string | undefined>; leasedUntil: number },
): Promise<void> {
  let fates: Awaited<ReturnType<DeletionQueue['failDeletions']>>;
  try {
    fates = await queue.failDeletions(data.owner, failures, data.maxAttempts);
  } catch (err) {
    // The store is down: the leases will expire and the records come back; counted so the
    // round ends with an error.
    report.storeErrors += failures.length;
    for (const f of failures) report.errors.push(failed(f));
    report.errors.push(`recording ${failures.length} failure(s): ${serializeError(err).message}`);
    log.error('could not record failed deletions', { count: failures.length, error: err });
    return;
  }
  const answeredAt = Date.now();
  failures.forEach((f, i) => {
    const { videoId, error } = f;
    const attempt = attempts.get(videoId);
    const fate = fates[i];
    const gone = fate !== 'retry' && fate !== 'dead';
    if (gone && unanswered.ids.has(videoId) && answeredAt < unanswered.leasedUntil) {
      // The fence found nothing while our lease held: nobody else could have taken the record,
      // so our own completion removed it and only its answer was lost. Done, not lost: no entry
      // in report.errors (one is added only once a fate is known, never taken back).
      report.done++;
      const reqId = unanswered.ids.get(videoId);
      log.debug('video deleted', { video: videoId, reqId, completionAnswered: false });
      return;
    }
    report.errors.push(failed(f));
    if (fate === 'retry') {
      report.failed++;
      log.warn('deletion failed, will retry', { video: videoId, attempt, error });
    } else if (fate === 'dead') {
      report.deadLettered++;
      log.error('deletion dead-lettered', { video: videoId, attempts: attempt, error });
    } else {
      report.lost++;
      log.warn('lease lost before the failure was recorded', { video: videoId });
    }
  });
}
