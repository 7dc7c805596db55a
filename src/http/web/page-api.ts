/**
 * What the pages ask of the api, in the shapes of the issue-12 contract (BRIEF.md): lists of
 * PublicVideo with a `next` cursor, one video, its comments, the signed-in user's own videos.
 * Every call carries the visitor's session id, so visibility is decided by the api alone — the
 * web front never filters or trusts anything itself.
 */
import type { PublicVideo } from '../api/public-video.js';
import type { ApiClient } from './api-client.js';

export type { PublicVideo };

export interface VideoPage {
  videos: PublicVideo[];
  next: string | null;
}

export interface PageComment {
  id: string;
  author: string;
  content: string;
  display_ctime: string;
  ctime: number;
}

/** An api answer that is not the expected success: the page maps its status to an HTML page. */
export class ApiStatusError extends Error {
  constructor(
    readonly status: number,
    readonly path: string,
  ) {
    super(`api GET ${path} answered ${status}`);
  }
}

/** Query parameters (without `?`) in a stable order; empty values are left out. */
export function queryString(params: Readonly<Record<string, string | undefined>>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  return q.toString();
}

async function getJson<T>(
  client: ApiClient,
  path: string,
  query: string,
  sid: string | undefined,
): Promise<T> {
  const req = {
    method: 'GET',
    path,
    query,
    sessionId: sid,
    contentType: undefined,
    body: undefined,
  };
  const out = await client.call(req);
  if (out.status !== 200 || !out.body) throw new ApiStatusError(out.status, path);
  return JSON.parse(out.body) as T;
}

/** Cursors are opaque to us; anything odd is dropped rather than relayed. */
function cursorOf(raw: string | undefined): string | undefined {
  return raw && /^[A-Za-z0-9_.:=-]{1,200}$/.test(raw) ? raw : undefined;
}

export const LIST_LIMIT = '24';

export function newestVideos(client: ApiClient, sid: string | undefined, cursor?: string) {
  const q = queryString({ cursor: cursorOf(cursor), limit: LIST_LIMIT });
  return getJson<VideoPage>(client, '/videos', q, sid);
}

export function searchVideos(
  client: ApiClient,
  sid: string | undefined,
  words: string,
  cursor?: string,
) {
  const q = queryString({ q: words, cursor: cursorOf(cursor), limit: LIST_LIMIT });
  return getJson<VideoPage>(client, '/search', q, sid);
}

export function userVideos(
  client: ApiClient,
  sid: string | undefined,
  name: string,
  cursor?: string,
) {
  const q = queryString({ cursor: cursorOf(cursor), limit: LIST_LIMIT });
  return getJson<VideoPage>(client, `/users/${name}/videos`, q, sid);
}

export function oneVideo(client: ApiClient, sid: string | undefined, vid: string) {
  return getJson<PublicVideo>(client, `/videos/${vid}`, '', sid);
}

export async function videoComments(client: ApiClient, sid: string | undefined, vid: string) {
  const { comments } = await getJson<{ comments: PageComment[] }>(
    client,
    `/videos/${vid}/comments`,
    '',
    sid,
  );
  return comments;
}

/** The owner's own list (every visibility, paged); the per-user route the seed had. */
export function ownVideos(client: ApiClient, sid: string, name: string, cursor?: string) {
  const q = queryString({ cursor: cursorOf(cursor), limit: LIST_LIMIT });
  return getJson<VideoPage>(client, `/user/${name}/videos`, q, sid);
}
