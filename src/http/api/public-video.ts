/**
 * The PublicVideo JSON shape (the issue 12 contract in the team brief), and the owner names it
 * needs. User names never change, so id → name is cached per thread (bounded); a page of 100
 * videos by a handful of authors costs a handful of lookups once, then none.
 */
import type { Video, Visibility } from '../../store/types.js';
import type { ServiceContext } from '../context.js';
import { displayCtime } from './present.js';

export interface PublicVideo {
  id: string;
  name: string;
  description: string;
  owner: string;
  author_id: string;
  /** ISO 8601. */
  created: string;
  display_ctime: string;
  duration_ms: number | null;
  width: number | null;
  height: number | null;
  visibility: Visibility;
  poster_url: string | null;
  ready: boolean;
}

export function publicVideo(v: Video, owner: string): PublicVideo {
  return {
    id: v.id,
    name: v.name,
    description: v.description,
    owner,
    author_id: v.authorId,
    created: new Date(v.createdAt).toISOString(),
    display_ctime: displayCtime(v.createdAt),
    duration_ms: v.durationMs,
    width: v.width,
    height: v.height,
    visibility: v.visibility,
    poster_url: v.posterId ? `/posters/${v.id}` : null,
    ready: v.ready,
  };
}

const NAMES_MAX = 10_000;
const names = new Map<string, string>();

/** The login name of a user id ('' for a user that no longer exists). */
export async function ownerName(ctx: ServiceContext, userId: string): Promise<string> {
  const hit = names.get(userId);
  if (hit !== undefined) return hit;
  const user = await ctx.records.getUserById(userId);
  if (!user) return '';
  if (names.size >= NAMES_MAX) names.clear();
  names.set(userId, user.name);
  return user.name;
}

/** PublicVideo for each video, owner names looked up once per distinct author. */
export async function publicVideos(ctx: ServiceContext, videos: Video[]): Promise<PublicVideo[]> {
  const authors = [...new Set(videos.map((v) => v.authorId))];
  const found = await Promise.all(authors.map((a) => ownerName(ctx, a)));
  const byId = new Map(authors.map((a, i) => [a, found[i]!]));
  return videos.map((v) => publicVideo(v, byId.get(v.authorId)!));
}
