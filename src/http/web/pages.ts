/**
 * The two pages. `/` (register / sign in) sends a signed-in visitor to `/userhome`;
 * `/userhome` sends an anonymous one back to `/`. POST is accepted on both, as in the seed, and
 * its body ignored (ours never posts a password to a page). Who is signed in is asked of the api
 * (`GET /session`) with the cookie's session id, so the web front holds no user state itself.
 */

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import nunjucks from 'nunjucks';
import { type Exchange, exchange } from '../common/respond.js';
import type { ServiceContext } from '../context.js';
import type { ApiClient } from './api-client.js';
import { clearedCookie, readCookie } from './cookies.js';
import type { StaticAssets } from './statics.js';

/** Pages run only our own scripts and styles, load media only from this origin. */
const PAGE_HEADERS = Object.freeze({
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
});

export interface Whoami {
  user_id: string;
  user_name: string;
  expires_at: number;
}

export function createViews(viewsDir: string, assets: StaticAssets): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(viewsDir), {
    autoescape: true,
  });
  env.addGlobal('asset', (name: string) => {
    const a = assets.get(name);
    if (!a) throw new Error(`views: unknown static asset ${name}`);
    return `/statics/${name}?v=${a.hash}`;
  });
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

function redirect(x: Exchange, to: string, extra: Record<string, string>): void {
  x.send(302, '', { Location: to, 'Cache-Control': 'no-store', ...extra });
}

type Page = 'home' | 'userhome';

function pageHandler(
  ctx: ServiceContext,
  client: ApiClient,
  views: nunjucks.Environment,
  page: Page,
) {
  return (res: HttpResponse, req: HttpRequest): void => {
    // HEAD (its own uWS route) gets GET's status and headers; the Exchange withholds the body.
    const x = exchange(res, req.getMethod() === 'head');
    if (req.getMethod() === 'post') res.onData(() => {}); // drain and ignore the form body
    const sid = readCookie(req.getHeader('cookie'));
    const secure = req.getHeader('x-forwarded-proto') === 'https';
    whoami(client, sid)
      .then((user) => {
        // A cookie naming a dead session is removed so the browser stops sending it.
        const extra: Record<string, string> =
          sid && !user ? { 'Set-Cookie': clearedCookie(secure) } : {};
        if (page === 'home' && user) return redirect(x, '/userhome', extra);
        if (page === 'userhome' && !user) return redirect(x, '/', extra);
        const html = views.render(`${page}.njk`, { user, page });
        x.send(200, html, { ...PAGE_HEADERS, ...extra });
      })
      .catch((err: unknown) => {
        ctx.log.error('page failed', { page, err });
        let html = 'The site is unavailable right now. Try again in a moment.';
        try {
          html = views.render('error.njk', { message: html });
        } catch (renderErr) {
          ctx.log.error('error page failed', { err: renderErr });
        }
        x.send(503, html, PAGE_HEADERS);
      });
  };
}

export function mountPages(
  app: TemplatedApp,
  ctx: ServiceContext,
  client: ApiClient,
  views: nunjucks.Environment,
): void {
  const home = pageHandler(ctx, client, views, 'home');
  const userhome = pageHandler(ctx, client, views, 'userhome');
  app.get('/', home).post('/', home).head('/', home);
  app.get('/userhome', userhome).post('/userhome', userhome).head('/userhome', userhome);
}
