/**
 * The deletion task: runs on a pool thread, one video per call.
 *
 * Order: confirm the lease (renew, fenced on owner) → blob → comments → video record → the
 * deletion record, removed by `completeDeletion`, fenced on owner. Every step is idempotent (a
 * missing blob or record counts as done), so a task cut short (crash, timeout) is simply run
 * again by whoever claims the record next.
 *
 * Never throws: the result says done / lost / failed, with `{code, message}` for a failure, so
 * a failed step is data, not an exception (defineTask still guards the thread boundary). Each
 * pool thread opens its own stores from the plain-data config on first use and keeps them for
 * the thread's life. Tests wrap `runDeletion` in a task file of their own (a delay, a log, a
 * thread that exits mid-task) and pass it as SchedulerOptions.taskFile.
 */
import { defineTask } from '../actors/pool-task.js';
import { serializeError } from '../errors.js';
import { openStores, posterBlobId } from '../store/index.js';
import type { DeletionResult, DeletionTask } from './deletion-types.js';

type Stores = Awaited<ReturnType<typeof openStores>>;
let stores: Promise<Stores> | undefined;

export async function runDeletion(task: DeletionTask): Promise<DeletionResult> {
  const { videoId, owner } = task;
  const start = Date.now();
  let step = 'open stores';
  try {
    stores ??= openStores(task.config);
    const { records, queue, blobs } = await stores;
    step = 'lease';
    let outcome: DeletionResult['outcome'] = 'lost';
    if (await queue.renewDeletion(videoId, owner, task.leaseMs)) {
      step = 'blob';
      await blobs.delete(videoId);
      await blobs.delete(posterBlobId(videoId)); // the poster lives beside its video
      step = 'comments';
      await records.deleteCommentsOfVideo(videoId);
      step = 'video';
      await records.deleteVideo(videoId);
      step = 'complete';
      outcome = (await queue.completeDeletion(videoId, owner)) ? 'done' : 'lost';
    }
    return { videoId, outcome, start, end: Date.now() };
  } catch (err) {
    if (step === 'open stores') stores = undefined; // let the next task try again
    const message = `${step}: ${err instanceof Error ? err.message : String(err)}`;
    return {
      videoId,
      outcome: 'failed',
      error: { code: serializeError(err).code, message },
      start,
      end: Date.now(),
    };
  }
}

export default defineTask(runDeletion);
