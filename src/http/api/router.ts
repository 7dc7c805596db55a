/**
 * The api's route table and its matcher. The same table registers the uWS routes and decides
 * what the web front's `/api` pass-through may forward, so the relay can never reach a path the
 * api does not serve. Parameters match one segment of URL-safe characters only (no `%`, `.`,
 * `/`, `\`), which rules out traversal and encoded tricks before any handler runs.
 */
import type { ApiHandler } from './types.js';

export type ApiMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';
export const API_METHODS: readonly ApiMethod[] = Object.freeze(['GET', 'POST', 'PATCH', 'DELETE']);

export interface ApiRoute {
  readonly method: ApiMethod;
  /** uWS pattern, e.g. `/user/:username/videos/:vid`. */
  readonly pattern: string;
  readonly name: string;
  readonly handler: ApiHandler;
  readonly params: readonly string[];
  readonly regex: RegExp;
}

const SEGMENT = '([A-Za-z0-9_-]{1,64})';

export function route(
  method: ApiMethod,
  pattern: string,
  name: string,
  handler: ApiHandler,
): ApiRoute {
  const params: string[] = [];
  const source = pattern
    .split('/')
    .map((seg) => {
      if (!seg.startsWith(':')) return seg.replace(/[^A-Za-z0-9_-]/g, '\\$&');
      params.push(seg.slice(1));
      return SEGMENT;
    })
    .join('/');
  return Object.freeze({
    method,
    pattern,
    name,
    handler,
    params,
    regex: new RegExp(`^${source}$`),
  });
}

export type RouteMatch =
  | { kind: 'found'; route: ApiRoute; params: Record<string, string> }
  | { kind: 'method-not-allowed' }
  | { kind: 'not-found' };

export function matchRoute(routes: readonly ApiRoute[], method: string, path: string): RouteMatch {
  let pathKnown = false;
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (!m) continue;
    if (r.method !== method) {
      pathKnown = true;
      continue;
    }
    const params: Record<string, string> = {};
    r.params.forEach((p, i) => {
      params[p] = m[i + 1]!;
    });
    return { kind: 'found', route: r, params };
  }
  return pathKnown ? { kind: 'method-not-allowed' } : { kind: 'not-found' };
}
