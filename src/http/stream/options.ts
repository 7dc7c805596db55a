/** How the stream routes are registered; the web service mounts them with its own choices. */
import type { HttpRequest } from 'uWebSockets.js';
import type { MediaProber } from '../../media/index.js';
import type { InflightTracker } from '../common/inflight.js';
import { readCookie } from '../web/cookies.js';

export interface StreamRouteOptions {
  /** Index of the `:vid` parameter in the route pattern. @default 0 */
  idParameter: number;
  /**
   * Where the caller's session id comes from (uploads; private videos and posters), read in the
   * synchronous handler.
   * @default the `X-Session-Id` header, else the web's session cookie (a player on the web origin
   * sends the cookie through the proxy)
   */
  sessionIdFrom: (req: HttpRequest) => string;
  /** Counts in-flight requests for graceful close. @default the app's tracker (inflightOf) */
  tracker: InflightTracker | undefined;
  /** Runs ffprobe/ffmpeg for uploads. @default this thread's shared prober (sharedMediaProber) */
  media: MediaProber | undefined;
}

export const STREAM_ROUTE_DEFAULTS: Readonly<StreamRouteOptions> = Object.freeze({
  idParameter: 0,
  sessionIdFrom: (req: HttpRequest) =>
    req.getHeader('x-session-id') || (readCookie(req.getHeader('cookie')) ?? ''),
  tracker: undefined,
  media: undefined,
});

export function streamRouteOptions(options: Partial<StreamRouteOptions> = {}): StreamRouteOptions {
  const o = { ...STREAM_ROUTE_DEFAULTS, ...options };
  if (!Number.isInteger(o.idParameter) || o.idParameter < 0) {
    throw new TypeError('options.idParameter must be a non-negative integer');
  }
  if (typeof o.sessionIdFrom !== 'function') {
    throw new TypeError('options.sessionIdFrom must be a function (req) => string');
  }
  return o;
}
