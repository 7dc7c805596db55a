/**
 * The pages, each a function from what the visitor asked (path parameters, query, who they are)
 * to a template and its data, or a redirect. They only read through the api with the visitor's
 * own session, so a private video is as invisible here as it is in the api. An api 404/403
 * becomes the HTML error page with that status (see pages.ts); anything else fails the page.
 */
import type { ApiClient } from './api-client.js';
import {
  newestVideos,
  oneVideo,
  ownVideos,
  searchVideos,
  userVideos,
  videoComments,
} from './page-api.js';

export interface Whoami {
  user_id: string;
  user_name: string;
  expires_at: number;
}

export interface PageInput {
  readonly user: Whoami | undefined;
  readonly sid: string | undefined;
  /** uWS path parameters, in pattern order. */
  readonly params: readonly string[];
  /** The query values this page declared, decoded. */
  readonly query: Readonly<Record<string, string | undefined>>;
}

export type PageResult =
  | { status: number; view: string; data: Record<string, unknown> }
  | { redirect: string };

export interface PageSpec {
  /** uWS pattern. */
  readonly pattern: string;
  /** Query parameters copied off the request before anything async. */
  readonly query: readonly string[];
  render(client: ApiClient, input: PageInput): Promise<PageResult>;
}

/** Where to go after signing in: a path on this site only (no `//host`, no scheme). */
export function safeNext(raw: string | undefined): string {
  return raw && /^\/(?![/\\])[A-Za-z0-9_\-/.?=&%]*$/.test(raw) ? raw : '/';
}

const USER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const VIDEO_ID = /^[A-Za-z0-9-]{1,64}$/;
const notFound = (what: string): PageResult => ({
  status: 404,
  view: 'error.njk',
  data: { status: 404, message: `${what} does not exist, or it is not shared with you.` },
});

export const PAGES: readonly PageSpec[] = Object.freeze([
  {
    pattern: '/',
    query: ['cursor'],
    async render(client, { sid, query }) {
      const list = await newestVideos(client, sid, query.cursor);
      return { status: 200, view: 'browse.njk', data: { list, cursor: query.cursor } };
    },
  },
  {
    pattern: '/search',
    query: ['q', 'cursor'],
    async render(client, { sid, query }) {
      const q = (query.q ?? '').trim().slice(0, 200);
      const list = q ? await searchVideos(client, sid, q, query.cursor) : undefined;
      return { status: 200, view: 'search.njk', data: { q, list, cursor: query.cursor } };
    },
  },
  {
    pattern: '/u/:name',
    query: ['cursor'],
    async render(client, { sid, params, query }) {
      const name = params[0]!;
      if (!USER_NAME.test(name)) return notFound('This channel');
      const list = await userVideos(client, sid, name, query.cursor);
      return { status: 200, view: 'user.njk', data: { name, list, cursor: query.cursor } };
    },
  },
  {
    pattern: '/v/:vid',
    query: [],
    async render(client, { sid, params }) {
      const vid = params[0]!;
      if (!VIDEO_ID.test(vid)) return notFound('This video');
      const [video, comments] = await Promise.all([
        oneVideo(client, sid, vid),
        videoComments(client, sid, vid),
      ]);
      return { status: 200, view: 'watch.njk', data: { video, comments } };
    },
  },
  {
    pattern: '/userhome',
    query: ['uploaded', 'cursor'],
    async render(client, { sid, user, query }) {
      if (!user || !sid) return { redirect: '/login?next=%2Fuserhome' };
      const list = await ownVideos(client, sid, user.user_name, query.cursor);
      const data = { list, videos: list.videos, cursor: query.cursor, uploaded: query.uploaded };
      return { status: 200, view: 'userhome.njk', data };
    },
  },
  {
    pattern: '/login',
    query: ['next', 'expired'],
    async render(_client, { user, query }) {
      const next = safeNext(query.next);
      if (user) return { redirect: next === '/' ? '/userhome' : next };
      return { status: 200, view: 'login.njk', data: { next, expired: query.expired === '1' } };
    },
  },
]);
