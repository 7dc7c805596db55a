/**
 * Who may see a video, the one rule every service applies (api details and comments, stream
 * bytes and posters): an `active` video that is public or unlisted is visible to anyone with its
 * id; a private one only to its owner. Everything else answers 404, never 403, so a private
 * video's existence does not leak.
 */
import type { Video } from '../../store/types.js';

export function canView(video: Video | undefined, viewerId: string | undefined): video is Video {
  if (video?.state !== 'active') return false;
  return video.visibility !== 'private' || (viewerId !== undefined && video.authorId === viewerId);
}
