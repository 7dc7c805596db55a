/** JSON shapes of the seed's api (snake_case), built from store records. */
import type { Comment, Video } from '../../store/types.js';
import { type PublicVideo, publicVideo } from './public-video.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** Go's "Jan 02 2006, 15:04:05", in UTC so every node prints the same text. */
export function displayCtime(ms: number): string {
  const d = new Date(ms);
  return (
    `${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ${d.getUTCFullYear()}, ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
  );
}

/** The seed's VideoInfo `{id, author_id, name, display_ctime}` grown into a PublicVideo. */
export interface VideoInfo extends PublicVideo {
  /** Ours: epoch ms, so a page can show local time. */
  ctime: number;
}

export function videoInfo(v: Video, owner: string): VideoInfo {
  return { ...publicVideo(v, owner), ctime: v.createdAt };
}

export interface CommentInfo {
  id: string;
  video_id: string;
  author: string;
  content: string;
  display_ctime: string;
  ctime: number;
}

export function commentInfo(c: Comment): CommentInfo {
  return {
    id: c.id,
    video_id: c.videoId,
    author: c.authorName,
    content: c.content,
    display_ctime: displayCtime(c.createdAt),
    ctime: c.createdAt,
  };
}
