/**
 * The web service: pages, static assets, the `/api` relay, and the stream routes on the web
 * origin (`/videos/:vid`, `/upload/:vid`) so the page's `<video>` and uploads stay same-origin
 * and carry the session cookie.
 *
 * Co-location: with the api in this process the relay and the pages call the api's handler
 * directly; otherwise they use API_URL. With the stream service in this process its routes are
 * registered here too, reading the session from the cookie; otherwise they proxy to STREAM_URL.
 */

import type { TemplatedApp } from 'uWebSockets.js';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflightOf } from '../common/inflight.js';
import type { ServiceContext } from '../context.js';
import { apiClientFor } from './api-client.js';
import { readCookie } from './cookies.js';
import { sameOriginApp } from './csrf.js';
import { createViews, mountPages } from './pages.js';
import { relayHandler } from './relay.js';
import { loadStatics, mountStatics } from './statics.js';
import { mountStreamProxy } from './stream-proxy.js';

export { SESSION_COOKIE } from './cookies.js';
export { parseRelay, RELAY_MAX_BYTES } from './relay.js';

/** `views/` at the package root, from src/http/web or dist/http/web alike. */
export const VIEWS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../views');

/** Browser libraries served from their installed packages (no CDN). */
const require = createRequire(import.meta.url);
export const VENDOR_ASSETS = Object.freeze({
  'vendor/tus.min.js': require.resolve('tus-js-client/dist/tus.min.js'),
});

export async function mountWeb(raw: TemplatedApp, ctx: ServiceContext): Promise<void> {
  // Every route below goes through the CSRF view (csrf.ts): register new ones on `app` too.
  const app = sameOriginApp(raw, ctx.config);
  const assets = loadStatics(join(VIEWS_DIR, 'static'), VENDOR_ASSETS);
  const views = createViews(VIEWS_DIR, assets);
  const client = apiClientFor(ctx);
  mountStatics(app, assets);
  mountPages(app, ctx, client, views);
  app.post('/api', relayHandler(ctx, client));

  if (ctx.config.only.includes('stream')) {
    const { registerStreamRoutes } = await import('../stream/index.js');
    registerStreamRoutes(app, ctx, {
      tracker: inflightOf(raw),
      sessionIdFrom: (req) => readCookie(req.getHeader('cookie')) ?? '',
    });
  } else if (ctx.config.streamUrl) {
    mountStreamProxy(app, ctx, ctx.config.streamUrl);
  } else {
    throw new TypeError(
      'config.streamUrl (STREAM_URL) is required when the web service runs without the stream service',
    );
  }
}
