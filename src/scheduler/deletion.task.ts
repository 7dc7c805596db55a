/**
 * The deletion task: runs on a pool thread, several videos per call (the executor splits a
 * batch into tasks, one per pool thread; a task runs its videos in chunks at once).
 *
 * First, once for the whole task, confirm the leases (heldDeletions, a read; renewDeletions,
 * fenced on owner, for the leases too short to outlive the task — see confirmLeases): only the
 * ids still ours go on, the others are 'lost' and nothing of theirs is touched. One read for the
 * task, not one per chunk: the chunks start together anyway, so a read per chunk saw the same
 * moment at up to CHUNKS_PER_TASK times the cost. Then the confirmed ids in chunks at once,
 * each step one call for the chunk where the store has one: blobs (video and poster; see
 * deleteBlobs) → comments and video records of the videos whose blobs went (records.deleteVideos:
 * one LMDB transaction) → the deletion records, removed by `completeDeletions`, fenced on owner.
 * Every step is idempotent (a missing blob or record counts as done), so a task cut short (crash,
 * timeout) is simply run again by whoever claims the records next. A video whose blob step failed
 * is left out of the later steps and reported failed; the others go on. A failed record step
 * fails the chunk's videos; a failed lease step, the task's.
 *
 * Why the records go in one call: lmdb-js already commits the transaction callbacks issued
 * together as one, but each call still costs its own callback, promise and checks;
 * bench/scheduler/profile.ts measured one transaction for the batch 26 % cheaper in CPU than the
 * two calls per video issued together (73 → 54 µs per deletion, load 7.8). Nothing is fenced
 * there, as before: deleting a video whose deletion record another owner took over is the same
 * idempotent work that owner does; only `completeDeletions` is fenced.
 *
 * The deadline (task.deadline, taskTimeoutMs after submission): the task checks it before every
 * store call and starts none after it. If the task's work has not settled by then, it stops
 * waiting, closes the thread's stores (lmdb-js's close waits for the write in flight, and any
 * later call throws instead of entering the native code) and answers: every video not settled
 * yet failed with ERR_TASK_DEADLINE, retried through the normal backoff. A completion already in
 * flight then is waited for first, until task.settleBy (before the pool's abort): the store may
 * have applied it, and a removed record is never retried, so cutting its answer off lost the
 * deletion's `done` (Run.settleCompletions). Why not let the pool
 * end the thread at the deadline, as before: ending a thread inside an lmdb-js native call
 * aborts the whole process (src/store/lmdb-env.ts), and a task spends much of its time in such
 * calls. The pool's abort stays as a backstop, abortGraceMs later (options.ts), for a thread
 * whose event loop is blocked — the one case the task cannot answer. The next task on the thread
 * opens the stores again. A stop that cuts the scheduler's rounds off (task.signals' STOP_SLOT,
 * set by CleanupThreads.kill) ends the task the same way, a completion in flight waited for at
 * most STOP_SETTLE_MS after the task saw the stop (a cut-off answer lost the `done` at shutdown
 * too), and the stop waits for the tasks counted in RUNNING_SLOT before it ends any thread.
 *
 * Never throws: each result says done / lost / failed, with `{code, message}` for a failure, so
 * a failed step is data, not an exception (defineTask still guards the thread boundary). Each
 * pool thread opens its own stores from the plain-data config on first use and keeps them for
 * the thread's life (or until a deadline closes them). Tests wrap `runDeletions` in a task file
 * of their own (a delay, a log, a thread that exits mid-task, a slow store through its `open`
 * parameter) and pass it as SchedulerOptions.taskFile.
 */
import { defineTask } from '../actors/pool-task.js';
import type { Config } from '../config.js';
import { openStores, posterBlobId, type Stores } from '../store/index.js';
import type { BlobStore, DeletionQueue } from '../store/types.js';
import { type Failure, failure, Run } from './deletion-run.js';
import {
  CHUNKS_PER_TASK,
  type DeletionResult,
  type DeletionTask,
  splitInto,
} from './deletion-types.js';
import { enterTask, leaveTask } from './task-signals.js';

/** How a task opens its thread's stores: openStores, or a test's wrapper of it. */
export type OpenStores = (config: Config) => Promise<Stores>;

/** This thread's stores: opened by the first task, kept until a deadline closes them. */
let stores: Promise<Stores> | undefined;

/** Runs `fn` on every id at once; the ids whose call rejected land in `failed` with the step. */
async function each(
  ids: string[],
  step: string,
  failed: Map<string, Failure>,
  fn: (id: string) => Promise<unknown>,
): Promise<string[]> {
  const settled = await Promise.allSettled(ids.map(fn));
  return ids.filter((id, i) => {
    const s = settled[i]!;
    if (s.status === 'fulfilled') return true;
    failed.set(id, failure(step, s.reason));
    return false;
  });
}

/**
 * The task's ids still held by its owner, each with a lease that outlives the task. A fresh
 * claim's lease (the usual case) is confirmed with a read: no write transaction, and on LMDB no
 * wait for the write lock the other threads' steps hold. A shorter lease, or a record the read
 * did not show as ours (a read may be a moment old), goes through renewDeletions, the fenced
 * write. A read showing our lease ending at T is safe even if old: nobody claims before T.
 */
async function confirmLeases(queue: DeletionQueue, run: Run): Promise<Set<string>> {
  const { owner, videoIds } = run.task;
  run.check();
  const held = await queue.heldDeletions(owner, videoIds);
  const ok = new Set<string>();
  for (const h of held) if (h.leaseUntil >= run.task.minLeaseUntil) ok.add(h.videoId);
  const rest = videoIds.filter((id) => !ok.has(id));
  if (rest.length > 0) {
    run.check();
    for (const id of await queue.renewDeletions(owner, rest, run.task.leaseMs)) ok.add(id);
  }
  return ok;
}

/**
 * A video's blob and its poster (beside it, derived id). Where the store has it, deleteInPool:
 * this thread serves nothing else, so a blocking existence check may spare the threadpool hop
 * and the error object of a missing file (the poster pair of a video without one); on a present
 * file the check costs nothing measurable (bench/scheduler/unlink.ts).
 */
function deleteBlobs(blobs: BlobStore): (id: string) => Promise<unknown> {
  const del = blobs.deleteInPool ? blobs.deleteInPool.bind(blobs) : blobs.delete.bind(blobs);
  return (id) => Promise.all([del(id), del(posterBlobId(id))]);
}

/** The thread's stores, opened on first use; a failed open is forgotten (the next task retries). */
async function threadStores(config: Config, open: OpenStores): Promise<Stores> {
  const opening = (stores ??= open(config));
  try {
    return await opening;
  } catch (err) {
    if (stores === opening) stores = undefined;
    throw err;
  }
}

/** At a deadline: no lmdb-js call may still run on this thread once the task has answered. */
async function closeThreadStores(): Promise<void> {
  const opening = stores;
  stores = undefined;
  const open = await opening?.catch(() => undefined);
  await open?.close().catch(() => {});
}

/**
 * The task's leases confirmed once, then its confirmed videos in CHUNKS_PER_TASK chunks run at
 * once (the thread's only concurrency: one task per pool thread, see deletion-pool.ts); the
 * results in the task's order, by the task's deadline (see the header). `open`: how the thread
 * opens its stores (a test task passes a wrapper).
 */
export async function runDeletions(
  task: DeletionTask,
  open: OpenStores = openStores,
): Promise<DeletionResult[]> {
  const start = Date.now();
  const run = new Run(task);
  const { signals, mark } = task;
  if (signals) enterTask(signals, mark);
  const due = run.whenDue();
  try {
    const first = await Promise.race([work(run, open, start), due.promise]);
    if (first === 'due') {
      run.stopped = true;
      await run.settleCompletions();
      await closeThreadStores();
      // Let the steps whose call the close waited for record their outcome first.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return results(run, start);
  } finally {
    due.cancel();
    if (signals) leaveTask(signals, mark);
  }
}

/** The task's results in its order: as settled, else lost (not confirmed) or stopped. */
function results(run: Run, start: number): DeletionResult[] {
  const { task } = run;
  const end = Date.now();
  const late = failure('deadline', run.stopError());
  // Issued, never answered: the store may have applied it (see Run.settleCompletions).
  const unanswered = failure('complete', run.stopError());
  return task.videoIds.map((videoId): DeletionResult => {
    const settled = run.settled.get(videoId);
    if (settled) return { videoId, ...settled };
    // Not confirmed at the start: another owner has it, and nothing of it was touched.
    if (run.held && !run.held.has(videoId)) return { videoId, outcome: 'lost', start, end };
    if (run.isCompleting(videoId)) {
      return { videoId, outcome: 'failed', error: unanswered, unanswered: true, start, end };
    }
    return { videoId, outcome: 'failed', error: late, start, end }; // stopped by the deadline
  });
}

/** Never rejects: a failed step settles its videos as failed. */
async function work(run: Run, open: OpenStores, start: number): Promise<void> {
  let step = 'open stores';
  let opened: Stores;
  try {
    run.check();
    opened = await threadStores(run.task.config, open);
    step = 'lease';
    run.held = await confirmLeases(opened.queue, run);
  } catch (err) {
    const error = run.failure(step, err);
    const end = Date.now();
    for (const id of run.task.videoIds)
      run.settled.set(id, { outcome: 'failed', error, start, end });
    return;
  }
  const chunks = splitInto([...run.held], CHUNKS_PER_TASK);
  await Promise.all(chunks.map((ids) => runChunk(opened, run, ids)));
}

/** One chunk of a task's confirmed videos, each step one call for the chunk; settles each. */
async function runChunk({ records, queue, blobs }: Stores, run: Run, videoIds: string[]) {
  const start = Date.now();
  const failed = new Map<string, Failure>();
  let done = new Set<string>();
  let step = 'blob';
  let issued: string[] = []; // the completion's ids, once issued
  try {
    run.check();
    const ids = await each(videoIds, step, failed, deleteBlobs(blobs));
    step = 'records';
    run.check();
    if (ids.length > 0) await records.deleteVideos(ids);
    step = 'complete';
    run.check();
    issued = ids;
    // An id held at the start but not completed here was taken over meanwhile: 'lost'.
    done = new Set(await run.completing(ids, queue.completeDeletions(run.task.owner, ids)));
  } catch (err) {
    // A whole-chunk step failed (store down, deadline): every video not settled yet failed with it.
    const why = run.failure(step, err);
    for (const id of videoIds) if (!done.has(id) && !failed.has(id)) failed.set(id, why);
  }
  const end = Date.now();
  for (const videoId of videoIds) {
    const error = failed.get(videoId);
    const outcome = done.has(videoId) ? 'done' : error ? 'failed' : 'lost';
    // Its completion issued but failed: the store may have applied it.
    const unanswered = error && issued.includes(videoId) ? { unanswered: true as const } : {};
    run.settled.set(
      videoId,
      error ? { outcome, error, ...unanswered, start, end } : { outcome, start, end },
    );
  }
}

export default defineTask((task: DeletionTask) => runDeletions(task));
