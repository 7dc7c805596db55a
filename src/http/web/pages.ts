/**
 * Server-rendered pages (page-routes.ts lists them): every page is complete HTML without
 * scripts; the scripts only add what needs them (upload, edit, comment, copy link). Who is
 * signed in is asked of the api (`GET /session`) with the cookie's session id, so the web front
 * holds no user state itself. POST is accepted on every page, as the seed's `/` and `/userhome`
 * were, and its body ignored (ours never posts a password to a page).
 *
 * An api 404/403 behind a page becomes an HTML page with that status; an api that cannot answer
 * becomes a 503 page. Unknown GET paths get the HTML 404 page too (the host's catch-all stays
 * JSON for the other methods).
 */

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import nunjucks from 'nunjucks';
import { type Exchange, exchange } from '../common/respond.js';
import type { ServiceContext } from '../context.js';
import type { ApiClient } from './api-client.js';
import { clearedCookie, readCookie } from './cookies.js';
import { ApiStatusError } from './page-api.js';
import { PAGES, type PageResult, type PageSpec, type Whoami } from './page-routes.js';
import type { StaticAssets } from './statics.js';
import { addViewFilters } from './view-filters.js';

export type { Whoami } from './page-routes.js';

/** Pages run only our own scripts and styles, load media only from this origin. */
const PAGE_HEADERS = Object.freeze({
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
});

const ERROR_TEXT: Record<number, string> = {
  403: 'You are not allowed to see this page.',
  404: 'There is nothing at this address.',
  503: 'The site is unavailable right now. Try again in a moment.',
};

export function createViews(viewsDir: string, assets: StaticAssets): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(viewsDir), {
    autoescape: true,
  });
  env.addGlobal('asset', (name: string) => {
    const a = assets.get(name);
    if (!a) throw new Error(`views: unknown static asset ${name}`);
    return `/statics/${name}?v=${a.hash}`;
  });
  addViewFilters(env);
  return env;
}

/** The signed-in user, undefined when anonymous; rejects when the api cannot tell. */
async function whoami(client: ApiClient, sid: string | undefined): Promise<Whoami | undefined> {
  if (!sid) return undefined;
  const out = await client.call({
    method: 'GET',
    path: '/session',
    sessionId: sid,
    contentType: undefined,
    body: undefined,
  });
  if (out.status === 401) return undefined;
  if (out.status !== 200 || !out.body) throw new Error(`api GET /session answered ${out.status}`);
  return JSON.parse(out.body) as Whoami;
}

function renderError(
  ctx: ServiceContext,
  views: nunjucks.Environment,
  status: number,
  data: Record<string, unknown>,
): string {
  try {
    return views.render('error.njk', { status, message: ERROR_TEXT[status], ...data });
  } catch (err) {
    ctx.log.error('error page failed', { err });
    return ERROR_TEXT[status] ?? 'Error';
  }
}

function send(x: Exchange, html: string, status: number, extra: Record<string, string>): void {
  x.send(status, html, { ...PAGE_HEADERS, ...extra });
}

function pageHandler(
  ctx: ServiceContext,
  client: ApiClient,
  views: nunjucks.Environment,
  spec: PageSpec,
) {
  const paramCount = (spec.pattern.match(/:/g) ?? []).length;
  return (res: HttpResponse, req: HttpRequest): void => {
    // HEAD (its own uWS route) gets GET's status and headers; the Exchange withholds the body.
    const x = exchange(res, req.getMethod() === 'head');
    if (req.getMethod() === 'post') res.onData(() => {}); // drain and ignore the form body
    // uWS's request object dies at the first await: copy everything now.
    const sid = readCookie(req.getHeader('cookie'));
    const secure = req.getHeader('x-forwarded-proto') === 'https';
    const here = req.getUrl();
    const params = Array.from({ length: paramCount }, (_, i) => req.getParameter(i));
    const query: Record<string, string | undefined> = {};
    for (const k of spec.query) query[k] = req.getQuery(k) ?? undefined;
    let user: Whoami | undefined;
    let extra: Record<string, string> = {};
    whoami(client, sid)
      .then(async (who) => {
        user = who;
        // A cookie naming a dead session is removed so the browser stops sending it.
        if (sid && !user) extra = { 'Set-Cookie': clearedCookie(secure) };
        const out: PageResult = await spec.render(client, { user, sid, params, query });
        if ('redirect' in out) {
          x.send(302, '', { Location: out.redirect, 'Cache-Control': 'no-store', ...extra });
          return;
        }
        const html = views.render(out.view, { user, page: spec.pattern, here, ...out.data });
        send(x, html, out.status, extra);
      })
      .catch((err: unknown) => {
        const status =
          err instanceof ApiStatusError && (err.status === 404 || err.status === 403)
            ? err.status
            : 503;
        if (status === 503) ctx.log.error('page failed', { page: spec.pattern, err });
        send(x, renderError(ctx, views, status, { user, here }), status, extra);
      });
  };
}

export function mountPages(
  app: TemplatedApp,
  ctx: ServiceContext,
  client: ApiClient,
  views: nunjucks.Environment,
): void {
  for (const spec of PAGES) {
    const h = pageHandler(ctx, client, views, spec);
    app.get(spec.pattern, h).post(spec.pattern, h).head(spec.pattern, h);
  }
  // Any other GET is a page nobody has: the HTML 404, not the api's JSON one.
  const missing = (res: HttpResponse, req: HttpRequest) => {
    const x = exchange(res, req.getMethod() === 'head');
    send(x, renderError(ctx, views, 404, {}), 404, {});
  };
  app.get('/*', missing).head('/*', missing);
}
