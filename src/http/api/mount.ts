/**
 * The api on a uWS app, through the HTTP front's Exchange (onAborted first, corked writes,
 * nothing after abort/end) and its capped body reader. Headers are copied before anything async.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { readBody } from '../common/body.js';
import { clientAddressOf } from '../common/client-address.js';
import { ClientAbortedError, HttpError } from '../common/errors.js';
import { type Exchange, exchange } from '../common/respond.js';
import type { ServiceContext } from '../context.js';
import { handleApi, MAX_JSON_BYTES } from './handle.js';
import { API_ROUTES } from './routes.js';
import type { ApiResponse } from './types.js';

const NO_STORE = Object.freeze({
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
});

/** Writes an ApiResponse: JSON with its content type, or an empty 204. */
export function sendApiResponse(x: Exchange, out: ApiResponse, extra: Record<string, string> = {}) {
  const headers = { ...NO_STORE, ...out.headers, ...extra };
  if (out.body === undefined) x.sendHeadersOnly(out.status, headers);
  else
    x.send(out.status, out.body, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
}

function serve(ctx: ServiceContext, res: HttpResponse, req: HttpRequest): void {
  const x = exchange(res);
  const method = req.getCaseSensitiveMethod().toUpperCase();
  const path = req.getUrl();
  const query = req.getQuery() ?? '';
  const sessionId = req.getHeader('x-session-id') || undefined;
  const contentType = req.getHeader('content-type') || undefined;
  const clientAddress = clientAddressOf(res, req, ctx.config.trustProxy);
  const body =
    method === 'POST' || method === 'PATCH'
      ? readBody(x, { maxBytes: MAX_JSON_BYTES, contentLength: req.getHeader('content-length') })
      : Promise.resolve(undefined);
  body
    .then(async (bytes) => {
      const out = await handleApi(ctx, {
        method,
        path,
        query,
        sessionId,
        contentType,
        clientAddress,
        body: bytes,
      });
      sendApiResponse(x, out);
    })
    .catch((err: unknown) => {
      if (err instanceof ClientAbortedError) return;
      if (!(err instanceof HttpError)) ctx.log.error('api transport failure', { err });
      // 413 leaves the rest of the body unread: close the connection after answering.
      x.error(err, undefined, err instanceof HttpError && err.status === 413);
    });
}

/** MountService for the api: one uWS route per entry of the route table. */
export function mountApi(app: TemplatedApp, ctx: ServiceContext): void {
  const handler = (res: HttpResponse, req: HttpRequest) => serve(ctx, res, req);
  for (const r of API_ROUTES) {
    if (r.method === 'GET') app.get(r.pattern, handler);
    else if (r.method === 'POST') app.post(r.pattern, handler);
    else if (r.method === 'PATCH') app.patch(r.pattern, handler);
    else app.del(r.pattern, handler);
  }
}
