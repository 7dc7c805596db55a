/**
 * The stream service: `GET`/`HEAD /videos/:vid`, `GET`/`HEAD /posters/:vid` and
 * `POST /upload/:vid`, tus 1.0 at `/files/` (ARCHITECTURE.md, stream); private videos and posters only for
 * their owner (404 for everyone else).
 *
 * - `mountStream(app, ctx)`: the MountService the host calls for the stream port.
 * - `registerStreamRoutes(app, ctx, options)`: the same routes for in-process use (the web front
 *   when co-located), e.g. with `sessionIdFrom` reading its cookie.
 * - `createStreamHandlers(ctx, options)`: the bare handlers, to register under other patterns.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { inflightOf } from '../common/inflight.js';
import type { ServiceContext } from '../context.js';
import { downloadHandler } from './download.js';
import { type StreamRouteOptions, streamRouteOptions } from './options.js';
import { registerTusRoutes } from './tus/index.js';
import { uploadHandler } from './upload.js';

export { STREAM_ROUTE_DEFAULTS, type StreamRouteOptions } from './options.js';
export { parseRange, type RangeResult } from './range.js';
export { SNIFF_BYTES, sniffContainer } from './sniff.js';

type Handler = (res: HttpResponse, req: HttpRequest) => void;

export interface StreamHandlers {
  get: Handler;
  head: Handler;
  upload: Handler;
  poster: Handler;
  posterHead: Handler;
}

export function createStreamHandlers(
  ctx: ServiceContext,
  options: Partial<StreamRouteOptions> = {},
): StreamHandlers {
  const o = streamRouteOptions(options);
  return {
    get: downloadHandler(ctx, o, false),
    head: downloadHandler(ctx, o, true),
    upload: uploadHandler(ctx, o),
    poster: downloadHandler(ctx, o, false, 'poster'),
    posterHead: downloadHandler(ctx, o, true, 'poster'),
  };
}

/** Registers the stream routes on `app`; in-flight requests are counted on `inflightOf(app)`. */
export function registerStreamRoutes(
  app: TemplatedApp,
  ctx: ServiceContext,
  options: Partial<StreamRouteOptions> = {},
): void {
  const o = streamRouteOptions({ tracker: inflightOf(app), ...options });
  const h = createStreamHandlers(ctx, o);
  app.get('/videos/:vid', h.get);
  app.head('/videos/:vid', h.head);
  app.post('/upload/:vid', h.upload);
  app.get('/posters/:vid', h.poster);
  app.head('/posters/:vid', h.posterHead);
  registerTusRoutes(app, ctx, o.sessionIdFrom, { media: o.media });
}

/** The stream service's MountService. */
export function mountStream(app: TemplatedApp, ctx: ServiceContext): void {
  registerStreamRoutes(app, ctx);
}
