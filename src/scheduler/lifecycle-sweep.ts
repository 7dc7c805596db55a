/**
 * The lifecycle sweep runner (issue 10 item 8), on the main thread's stores every N ticks; one
 * pass per round, like the session purge:
 * - stale uploads: an active video whose upload never completed (`ready` false) and is older
 *   than the upload TTL is handed to the video cleanup (queued, then hidden — the order the api
 *   uses), so its record, comments and any partial bytes go the normal, fenced way;
 * - orphan blobs: a stored video blob with no video record, older than the grace period, is
 *   deleted with its poster. Only ids of the form the api gives videos (UUID v4) are considered
 *   videos. A poster (posterBlobId's shape) older than the grace period whose video blob is not
 *   stored is deleted too: its video is gone (a poster written after the deletion task ran);
 *   the poster id cannot be mapped back to a video id, so the video blobs listed in the same
 *   pass are what it is checked against;
 * - expired tus uploads (TUS_EXPIRY_MS after creation) are removed from the tus store.
 *
 * Invariants: the sweep never deletes a video blob whose record exists (checked per blob, right
 * before the delete), nor a poster whose video blob is listed; a video uploaded right now is at
 * most `graceMs` old and never touched, since its record exists before its first byte is stored,
 * and its poster is written after its bytes.
 */
import type { Logger } from '../log.js';
import { posterBlobId } from '../store/index.js';
import type { BlobStore, DeletionQueue, RecordStore } from '../store/types.js';
import type { Runner } from './runner.js';
import { onePassRunner } from './session-purge.js';
import type { StatsBoard } from './stats.js';

const VIDEO_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The shape posterBlobId gives (version nibble 5, variant a): never a video id. */
const POSTER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/;
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
    const videos: string[] = [];
    const posters: string[] = [];
    const old = now - d.orphanGraceMs;
    for await (const { id, mtime } of blobs.list()) {
      const video = VIDEO_ID.test(id);
      if (video) videos.push(id);
      if (mtime > old) continue;
      if (!video) {
        if (POSTER_ID.test(id)) posters.push(id);
      } else if ((await d.records.getVideo(id)) === undefined) {
        await blobs.delete(id);
        await blobs.delete(posterBlobId(id));
        orphans++;
      }
    }
    // A poster is made from its video's stored bytes, so its video blob exists while the video
    // does; one whose video blob is gone is left over (e.g. written after the deletion task ran).
    // (Hashed only when an old poster was found: one SHA-256 per video blob otherwise wasted.)
    const kept = posters.length > 0 ? new Set(videos.map(posterBlobId)) : new Set<string>();
    for (const id of posters) {
      if (kept.has(id)) continue;
      await blobs.delete(id);
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
