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
 * Never throws: each result says done / lost / failed, with `{code, message}` for a failure, so
 * a failed step is data, not an exception (defineTask still guards the thread boundary). Each
 * pool thread opens its own stores from the plain-data config on first use and keeps them for
 * the thread's life. Tests wrap `runDeletions` in a task file of their own (a delay, a log, a
 * thread that exits mid-task) and pass it as SchedulerOptions.taskFile.
 */
import { defineTask } from '../actors/pool-task.js';
import { serializeError } from '../errors.js';
import { openStores, posterBlobId } from '../store/index.js';
import type { BlobStore, DeletionQueue } from '../store/types.js';
import {
  CHUNKS_PER_TASK,
  type DeletionResult,
  type DeletionTask,
  splitInto,
} from './deletion-types.js';

type Stores = Awaited<ReturnType<typeof openStores>>;
let stores: Promise<Stores> | undefined;

type Failure = { code: string; message: string };

function failure(step: string, err: unknown): Failure {
  const message = `${step}: ${err instanceof Error ? err.message : String(err)}`;
  return { code: serializeError(err).code, message };
}

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
async function confirmLeases(
  queue: DeletionQueue,
  task: DeletionTask,
  videoIds: readonly string[],
): Promise<string[]> {
  const { owner } = task;
  const held = await queue.heldDeletions(owner, videoIds);
  const ok = new Set<string>();
  for (const h of held) if (h.leaseUntil >= task.minLeaseUntil) ok.add(h.videoId);
  const rest = videoIds.filter((id) => !ok.has(id));
  if (rest.length > 0) {
    for (const id of await queue.renewDeletions(owner, rest, task.leaseMs)) ok.add(id);
  }
  return videoIds.filter((id) => ok.has(id));
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

/**
 * The task's leases confirmed once, then its confirmed videos in CHUNKS_PER_TASK chunks run at
 * once (the thread's only concurrency: one task per pool thread, see deletion-pool.ts); the
 * results in the task's order.
 */
export async function runDeletions(task: DeletionTask): Promise<DeletionResult[]> {
  const start = Date.now();
  let step = 'open stores';
  let open: Stores;
  let held: string[];
  try {
    stores ??= openStores(task.config);
    open = await stores;
    step = 'lease';
    held = await confirmLeases(open.queue, task, task.videoIds);
  } catch (err) {
    if (step === 'open stores') stores = undefined; // let the next task try again
    const error = failure(step, err);
    const end = Date.now();
    return task.videoIds.map((videoId) => ({ videoId, outcome: 'failed', error, start, end }));
  }
  const chunks = splitInto(held, CHUNKS_PER_TASK);
  const settled = (await Promise.all(chunks.map((ids) => runChunk(open, task.owner, ids)))).flat();
  const byId = new Map(settled.map((r) => [r.videoId, r]));
  const end = Date.now();
  // Not confirmed at the start: another owner has it, and nothing of it was touched.
  return task.videoIds.map(
    (videoId): DeletionResult => byId.get(videoId) ?? { videoId, outcome: 'lost', start, end },
  );
}

/** One chunk of a task's confirmed videos, each step one call for the chunk. */
async function runChunk(
  { records, queue, blobs }: Stores,
  owner: string,
  videoIds: string[],
): Promise<DeletionResult[]> {
  const start = Date.now();
  const failed = new Map<string, Failure>();
  let done = new Set<string>();
  let step = 'blob';
  try {
    const ids = await each(videoIds, step, failed, deleteBlobs(blobs));
    step = 'records';
    if (ids.length > 0) await records.deleteVideos(ids);
    step = 'complete';
    // An id held at the start but not completed here was taken over meanwhile: 'lost'.
    done = new Set(await queue.completeDeletions(owner, ids));
  } catch (err) {
    // A whole-chunk step failed (store down): every video not settled yet failed with it.
    const why = failure(step, err);
    for (const id of videoIds) if (!done.has(id) && !failed.has(id)) failed.set(id, why);
  }
  const end = Date.now();
  return videoIds.map((videoId): DeletionResult => {
    if (done.has(videoId)) return { videoId, outcome: 'done', start, end };
    const error = failed.get(videoId);
    return error
      ? { videoId, outcome: 'failed', error, start, end }
      : { videoId, outcome: 'lost', start, end };
  });
}

export default defineTask(runDeletions);
