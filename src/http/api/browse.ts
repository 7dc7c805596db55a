/**
 * The public side of the api (no session needed): the newest public videos, one video's details,
 * search, and a user's public videos. Lists are `{videos: PublicVideo[], next}`, newest first,
 * `next` the opaque cursor of the following page (null on the last). Only listed videos (active,
 * public, upload completed) are ever in a list; one video by id follows `canView` (unlisted:
 * anyone with the id; private: its owner only, 404 for everyone else).
 */
import type { Page, PageRequest, Video } from '../../store/types.js';
import { HttpError } from '../common/errors.js';
import { canView } from '../common/visibility.js';
import { readPage } from './paging.js';
import { publicVideo, publicVideos } from './public-video.js';
import type { ApiCall, ApiHandler } from './types.js';
import * as v from './validate.js';

export const PAGE_LIMITS = Object.freeze({ default: 100, max: 100 });
const MAX_QUERY_CHARS = 200;

/** `cursor` and `limit` from the query string (400 when malformed). */
export function pageParams(call: ApiCall): PageRequest {
  const q = call.query();
  const rawLimit = q.get('limit');
  let limit: number = PAGE_LIMITS.default;
  if (rawLimit !== null && rawLimit !== '') {
    limit = Number(rawLimit);
    if (!/^\d+$/.test(rawLimit) || limit < 1 || limit > PAGE_LIMITS.max) {
      throw new HttpError('badRequest', `limit must be an integer from 1 to ${PAGE_LIMITS.max}`);
    }
  }
  const cursor = q.get('cursor') || undefined;
  return { cursor, limit };
}

/** Runs a store listing; a cursor the store did not hand out is a 400, not a 500. */
async function listing(call: ApiCall, read: () => Promise<Page<Video>>) {
  const page = await readPage(read);
  const videos = await publicVideos(call.ctx, page.items);
  return { status: 200, value: { videos, next: page.next ?? null } };
}

/** GET /videos?cursor=&limit= → the newest public videos. */
export const browseVideos: ApiHandler = async (call) => {
  const page = pageParams(call);
  return listing(call, () => call.ctx.records.listPublicVideos(page));
};

/** GET /search?q=&cursor=&limit= → public videos whose title or description has every word. */
export const searchVideos: ApiHandler = async (call) => {
  const page = pageParams(call);
  const q = call.query().get('q') ?? '';
  if (q.length > MAX_QUERY_CHARS) {
    throw new HttpError('badRequest', `q must be at most ${MAX_QUERY_CHARS} characters`);
  }
  return listing(call, () => call.ctx.records.searchVideos(q, page));
};

/** GET /users/:username/videos?cursor=&limit= → that user's public videos (404: no such user). */
export const userPublicVideos: ApiHandler = async (call) => {
  const page = pageParams(call);
  const user = await call.ctx.records.getUserByName(call.params.username!);
  if (!user) throw new HttpError('notFound', 'User not found');
  return listing(call, () => call.ctx.records.listPublicVideosByAuthor(user.id, page));
};

/** The video `:vid` if the caller may see it, else 404 (private ones exist only for the owner). */
export async function visibleVideo(call: ApiCall): Promise<Video> {
  const vid = v.uuidParam(call.params.vid!, 'video id');
  const [video, viewer] = await Promise.all([call.ctx.records.getVideo(vid), call.viewer()]);
  if (!canView(video, viewer?.userId)) throw new HttpError('notFound', 'Video not found');
  return video;
}

/** GET /videos/:vid → PublicVideo. */
export const getVideo: ApiHandler = async (call) => {
  const video = await visibleVideo(call);
  const viewer = await call.viewer();
  const owner =
    viewer?.userId === video.authorId
      ? viewer.userName
      : (await publicVideos(call.ctx, [video]))[0]!.owner;
  return { status: 200, value: publicVideo(video, owner) };
};
