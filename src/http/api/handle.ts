/**
 * The api's request handling, independent of the transport: the uWS mount feeds it requests
 * read off the wire, and the web front calls it directly when the api runs in the same process.
 * Whatever goes wrong becomes a JSON error with a catalog code; internals only reach the log.
 */
import type { Session } from '../../store/types.js';
import { parseJson } from '../common/body.js';
import { HttpError } from '../common/errors.js';
import { sessionFrom } from '../common/session.js';
import { httpErrorFromStore } from '../common/store-errors.js';
import type { ServiceContext } from '../context.js';
import { lookupSession } from './auth.js';
import { RateLimitedError } from './rate-limited.js';
import { type ApiRoute, matchRoute } from './router.js';
import { API_ROUTES } from './routes.js';
import type { ApiCall, ApiRequest, ApiResponse } from './types.js';

/** Largest JSON body the api reads (a comment is at most 2000 characters). */
export const MAX_JSON_BYTES = 16 * 1024;

function jsonBody(req: ApiRequest): Record<string, unknown> {
  const type = req.contentType?.split(';')[0]?.trim().toLowerCase();
  if (type && type !== 'application/json') throw new HttpError('unsupportedMedia');
  if (!req.body || req.body.length === 0)
    throw new HttpError('badRequest', 'Request body is empty');
  if (req.body.length > MAX_JSON_BYTES) throw new HttpError('tooLarge');
  return parseJson(req.body);
}

export function errorResponse(err: HttpError): ApiResponse {
  const out: ApiResponse = { status: err.status, body: JSON.stringify(err.toJSON()) };
  if (err instanceof RateLimitedError) out.headers = { 'Retry-After': String(err.retryAfterSec) };
  return out;
}

/** Runs one matched route. */
export async function runRoute(
  ctx: ServiceContext,
  route: ApiRoute,
  params: Record<string, string>,
  req: ApiRequest,
): Promise<ApiResponse> {
  let session: Promise<Session> | undefined;
  let viewer: Promise<Session | undefined> | undefined;
  let body: Record<string, unknown> | undefined;
  let query: URLSearchParams | undefined;
  const call: ApiCall = {
    ctx,
    params,
    req,
    json: () => (body ??= jsonBody(req)),
    session: () => (session ??= lookupSession(ctx, req.sessionId)),
    viewer: () => (viewer ??= sessionFrom(ctx, req.sessionId)),
    query: () => (query ??= new URLSearchParams(req.query ?? '')),
  };
  try {
    const { status, value } = await route.handler(call);
    return { status, body: value === undefined ? undefined : JSON.stringify(value) };
  } catch (err) {
    if (err instanceof HttpError) return errorResponse(err);
    ctx.log.error('api request failed', { route: route.name, err });
    return errorResponse(httpErrorFromStore(err));
  }
}

/** Matches `req.path` against the route table, then runs the route. */
export async function handleApi(ctx: ServiceContext, req: ApiRequest): Promise<ApiResponse> {
  const m = matchRoute(API_ROUTES, req.method, req.path);
  // A known path with another method is "no such endpoint" too: the web front checks methods
  // before calling, and the uWS mount only routes the registered ones.
  if (m.kind !== 'found') return errorResponse(new HttpError('notFound', 'No such endpoint'));
  return runRoute(ctx, m.route, m.params, req);
}
