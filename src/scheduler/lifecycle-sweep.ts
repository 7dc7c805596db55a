/**
 * The lifecycle sweep runner (issue 10 item 8), on the main thread's stores every N ticks; one
 * pass per round, like the session purge:
 * - stale uploads: an active video whose upload never completed (`ready` false) and is older
 *   than the upload TTL is handed to the video cleanup (queued, then hidden — the order the api
 *   uses), so its record, comments and any partial bytes go the normal, fenced way;
 * - orphan blobs: a stored video blob with no video record, older than the grace period, is
 *   deleted with its poster. Only ids of the form the api gives videos (UUID v4) are considered:
 *   posters have derived ids (posterBlobId) and are removed with their video;
 * - expired tus uploads (TUS_EXPIRY_MS after creation) are removed from the tus store.
 *
 * Invariants: the sweep never deletes a blob whose record exists (checked per blob, right before
 * the delete); a video uploaded right now is at most `graceMs` old and never touched, since its
 * record exists before its first byte is stored.
 */
import type { Logger } from '../log.js';
import { posterBlobId } from '../store/index.js';
import type { BlobStore, DeletionQueue, RecordStore } from '../store/types.js';
import type { Runner } from './runner.js';
import { onePassRunner } from './session-purge.js';
import type { StatsBoard } from './stats.js';

const VIDEO_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** Stale uploads purged per pass (the rest wait for the next pass). */
const STALE_PER_PASS = 100;

export interface SweepDeps {
  records: RecordStore;
  queue: DeletionQueue;
  /** Without it (or without its `list` capability) orphan blobs are not swept. */
  blobs: BlobStore | undefined;
  /** An upload not completed after this long is purged. */
  uploadTtlMs: number;
  /** A blob with no record is removed once older than this. */
  orphanGraceMs: number;
  /** The tus upload store (http/stream/tus tusUploadStore); without it tus uploads are left. */
  tusUploads?: { deleteExpired(): Promise<number> } | undefined;
  board: StatsBoard;
  row: number;
  log: Logger;
}

/** One pass; returns how many stale uploads were queued and orphan blobs removed. */
export async function sweepOnce(
  d: SweepDeps,
  now = Date.now(),
): Promise<{ stale: number; orphans: number; tus: number }> {
  const stale = await d.records.listStaleUploads(now - d.uploadTtlMs, STALE_PER_PASS);
  for (const v of stale) {
    await d.queue.enqueueDeletion(v.id, now);
    await d.records.markVideoDeleting(v.id);
  }
  let orphans = 0;
  const blobs = d.blobs;
  if (blobs?.list) {
    for await (const { id, mtime } of blobs.list()) {
      if (!VIDEO_ID.test(id) || mtime > now - d.orphanGraceMs) continue;
      if ((await d.records.getVideo(id)) !== undefined) continue;
      await blobs.delete(id);
      await blobs.delete(posterBlobId(id));
      orphans++;
    }
  }
  const tus = (await d.tusUploads?.deleteExpired()) ?? 0;
  if (stale.length + orphans + tus > 0) {
    d.log.info('lifecycle sweep', {
      staleUploads: stale.length,
      orphanBlobs: orphans,
      expiredTusUploads: tus,
    });
  }
  return { stale: stale.length, orphans, tus };
}

export function lifecycleSweep(d: SweepDeps): Runner<number> {
  return onePassRunner('lifecycle-sweep', d.board, d.row, async (now) => {
    const { stale, orphans, tus } = await sweepOnce(d, now);
    return stale + orphans + tus;
  });
}
