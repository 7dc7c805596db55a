/** The tus routes on a uWS app: every method but GET under `/files` and `/files/:id`. */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { HttpError } from '../../common/errors.js';
import { exchange } from '../../common/respond.js';
import type { ServiceContext } from '../../context.js';
import { createTusServer, TUS_PATH, type TusOptions } from './server.js';
import { copyRequest, sendWebResponse, toWebRequest } from './uws-web.js';

/**
 * A 423 (the upload's lease is held, lease.ts) gets `Retry-After` from the `retry_after` its
 * body names: when the holder's lease would go stale if it stopped refreshing now.
 */
async function withRetryAfter(response: Response): Promise<Response> {
  if (response.status !== 423) return response;
  const body = await response.text();
  let seconds = 1;
  try {
    seconds = Number(JSON.parse(body).retry_after) || 1;
  } catch {}
  const headers = new Headers(response.headers);
  headers.set('Retry-After', String(seconds));
  return new Response(body, { status: 423, headers });
}

/**
 * Registers tus on `app`. `sessionIdFrom` reads the caller's session in the synchronous handler
 * (the stream service: X-Session-Id; the web origin: its cookie); it replaces any X-Session-Id
 * the client sent.
 */
export function registerTusRoutes(
  app: TemplatedApp,
  ctx: ServiceContext,
  sessionIdFrom: (req: HttpRequest) => string,
  options: Partial<TusOptions> = {},
): void {
  const tus = createTusServer(ctx, options);
  const handler = (res: HttpResponse, req: HttpRequest) => {
    const copied = copyRequest(req);
    const sid = sessionIdFrom(req);
    copied.headers.delete('x-session-id');
    if (sid) copied.headers.set('x-session-id', sid);
    const x = exchange(res, copied.method === 'HEAD');
    const request = toWebRequest(x, copied);
    tus
      .handleWeb(request)
      .then(withRetryAfter)
      .then((response) => (x.open ? sendWebResponse(x, response) : undefined))
      .catch((err: unknown) => {
        ctx.log.error('tus bridge failed', { err });
        x.error(new HttpError('internal'), undefined, true);
      });
  };
  for (const pattern of [TUS_PATH, `${TUS_PATH}/`, `${TUS_PATH}/:id`]) {
    app.post(pattern, handler);
    app.options(pattern, handler);
    app.head(pattern, handler);
    app.patch(pattern, handler);
    app.del(pattern, handler);
  }
}
