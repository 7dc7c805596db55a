/**
 * "An active video or 404", once for every service: a video exists for clients only while its
 * record is `active` (a deleted one is `deleting` until the scheduler removes it).
 */
import type { RecordStore, Video } from '../../store/types.js';
import { HttpError } from './errors.js';

/** The video when it exists and is active, else undefined. */
export async function findActiveVideo(
  records: RecordStore,
  vid: string,
): Promise<Video | undefined> {
  const video = await records.getVideo(vid);
  return video?.state === 'active' ? video : undefined;
}

/** The active video, or an HttpError 404 `Video not found`. */
export async function activeVideoOr404(records: RecordStore, vid: string): Promise<Video> {
  const video = await findActiveVideo(records, vid);
  if (video === undefined) throw new HttpError('notFound', 'Video not found');
  return video;
}
