/**
 * `POST /api`: the seed's pass-through body `{url, method, req_body}`, made safe.
 *
 * - `url` must be a path that the api's own route table serves with that `method` (one of
 *   GET/POST/PATCH/DELETE): no scheme, host, `//`, backslash, percent-encoding or dot segments in
 *   the path, so the relay cannot reach the scheduler, another host or a path the api does not
 *   have. A query string (`?cursor=…&q=…`) is passed on as parameters only.
 * - The caller is the session cookie: the front adds `X-Session-Id` itself. On a successful
 *   register/login it moves the new session id from the api's answer into the HttpOnly cookie and
 *   removes it from the body the page sees; logout (and any 401) clears the cookie.
 * - CSRF: the web service registers this route through its same-origin view (csrf.ts: Origin or
 *   Sec-Fetch-Site must be this site's own origin); the body must also be `application/json`
 *   (a cross-site form cannot send that without a CORS preflight, which we never grant), and the
 *   cookie is SameSite=Strict.
 * - The api's status and JSON body go back unchanged (real status codes to the page).
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { sendApiResponse } from '../api/mount.js';
import { API_METHODS, type ApiMethod, matchRoute } from '../api/router.js';
import { API_ROUTES } from '../api/routes.js';
import type { ApiResponse } from '../api/types.js';
import { parseJson, readBody } from '../common/body.js';
import { clientAddressOf } from '../common/client-address.js';
import { ClientAbortedError, HttpError } from '../common/errors.js';
import { exchange } from '../common/respond.js';
import type { ServiceContext } from '../context.js';
import type { ApiClient } from './api-client.js';
import { clearedCookie, readCookie, sessionCookie } from './cookies.js';

/** The relayed body is a JSON string inside JSON: allow for escaping of the api's 16 KiB. */
export const RELAY_MAX_BYTES = 48 * 1024;
const SAFE_PATH = /^\/[A-Za-z0-9_\-/]*$/;
const SAFE_QUERY = /^[A-Za-z0-9_\-.~%+=&]*$/;

export interface RelayTarget {
  method: ApiMethod;
  path: string;
  query: string;
  routeName: string;
  body: Uint8Array | undefined;
}

/** Validates a relay body; a bad one is a 400 whose message says what is wrong. */
export function parseRelay(raw: Buffer): RelayTarget {
  const {
    url: full,
    method,
    req_body,
  } = parseJson(raw, 'Request body must be {url, method, req_body}');
  const q = typeof full === 'string' ? full.indexOf('?') : -1;
  const url = q === -1 ? full : (full as string).slice(0, q);
  const query = q === -1 ? '' : (full as string).slice(q + 1);
  if (typeof full === 'string' && full.length > 1024) {
    throw new HttpError('badRequest', 'url is too long');
  }
  if (!SAFE_QUERY.test(query)) {
    throw new HttpError('badRequest', 'url query must be percent-encoded parameters');
  }
  if (typeof url !== 'string' || url.length > 512 || !SAFE_PATH.test(url) || url.includes('//')) {
    throw new HttpError('badRequest', 'url must be a path of the api service, like /user/name');
  }
  const m = typeof method === 'string' ? method.toUpperCase() : '';
  if (!(API_METHODS as readonly string[]).includes(m)) {
    throw new HttpError('badRequest', `method must be one of ${API_METHODS.join(', ')}`);
  }
  const found = matchRoute(API_ROUTES, m, url);
  if (found.kind === 'not-found')
    throw new HttpError('badRequest', `${url} is not an api endpoint`);
  if (found.kind === 'method-not-allowed') {
    throw new HttpError('badRequest', `${m} is not allowed on ${url}`);
  }
  let body: Uint8Array | undefined;
  if (typeof req_body === 'string') body = req_body === '' ? undefined : Buffer.from(req_body);
  else if (req_body !== undefined && req_body !== null)
    body = Buffer.from(JSON.stringify(req_body));
  return { method: m as ApiMethod, path: url, query, routeName: found.route.name, body };
}

/** Moves a new session id from the api's answer into a cookie. */
function takeSession(out: ApiResponse): { out: ApiResponse; sid: string | undefined } {
  try {
    const { session_id: sid, ...rest } = JSON.parse(out.body ?? '{}') as Record<string, unknown>;
    if (typeof sid === 'string') return { out: { ...out, body: JSON.stringify(rest) }, sid };
  } catch {
    // not JSON: pass through untouched
  }
  return { out, sid: undefined };
}

export function relayHandler(ctx: ServiceContext, client: ApiClient) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const x = exchange(res);
    const sid = readCookie(req.getHeader('cookie'));
    const secure = req.getHeader('x-forwarded-proto') === 'https';
    const clientAddress = clientAddressOf(res, req, ctx.config.trustProxy);
    const type = req.getHeader('content-type').split(';')[0]!.trim().toLowerCase();
    const body = readBody(x, {
      maxBytes: RELAY_MAX_BYTES,
      contentLength: req.getHeader('content-length'),
    });
    body
      .then(async (raw) => {
        if (type !== 'application/json') throw new HttpError('unsupportedMedia');
        const target = parseRelay(raw);
        let out = await client.call({
          method: target.method,
          path: target.path,
          query: target.query,
          sessionId: sid,
          clientAddress,
          contentType: 'application/json',
          body: target.body,
        });
        const headers: Record<string, string> = {};
        const isAuth = target.routeName === 'register' || target.routeName === 'login';
        if (isAuth && out.status < 300) {
          const taken = takeSession(out);
          out = taken.out;
          if (taken.sid)
            headers['Set-Cookie'] = sessionCookie(taken.sid, ctx.config.sessionMaxMs, secure);
        } else if (target.routeName === 'logout' || (out.status === 401 && sid)) {
          headers['Set-Cookie'] = clearedCookie(secure);
        }
        sendApiResponse(x, out, headers);
      })
      .catch((err: unknown) => {
        if (err instanceof ClientAbortedError) return;
        if (!(err instanceof HttpError)) ctx.log.error('relay failed', { err });
        x.error(err, undefined, err instanceof HttpError && err.status === 413);
      });
  };
}
