/**
 * CSRF defence of the web origin: every state-changing request (POST, PUT, PATCH, DELETE — the
 * `/api` relay with sign-in/sign-out, uploads, tus) must come from the site's own origin.
 *
 * SameSite=Strict cookies are not enough: "site" is the registrable domain, so a page on another
 * port of the same host, or on a sibling subdomain, is same-site and its requests carry the
 * cookie. The Origin header names the exact origin (scheme, host, port), so it is compared whole.
 *
 * The verdict, in order:
 *   1. `Origin` present: it must equal the site's origin; `Origin: null` (sandboxed frames, data:
 *      URLs, some redirects) is refused.
 *   2. No Origin but `Sec-Fetch-Site`: `same-origin` (or `none`: typed by the user) passes,
 *      `same-site`/`cross-site` are refused.
 *   3. Neither: not a browser (curl, scripts) or one too old to send them; such a client holds
 *      the cookie itself, and there is no ambient authority to abuse. Passes.
 *
 * The site's origin: PUBLIC_URL when configured (the strict choice behind a proxy or under a
 * fixed name). Otherwise the request's own `Host` with `http`, or with the scheme and host a
 * trusted proxy forwards (X-Forwarded-Proto / X-Forwarded-Host, believed only from a TRUST_PROXY
 * peer). Host is safe to build on here: a victim's browser sets it to the host it is talking to;
 * a DNS-rebound page sees its own Host, but then the browser sends it no cookie of ours.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { Config } from '../../config.js';
import { isTrustedProxy, peerAddress } from '../common/client-address.js';
import { exchange } from '../common/respond.js';

type Handler = (res: HttpResponse, req: HttpRequest) => void;

const UNSAFE_METHODS = new Set(['post', 'put', 'patch', 'delete']);
/** App methods whose routes only ever see state-changing methods. */
const UNSAFE_ROUTES = new Set(['post', 'put', 'patch', 'del']);

/** The origin a request's own headers say this site has (see the module comment). */
export function siteOrigin(
  config: Pick<Config, 'publicUrl' | 'trustProxy'>,
  res: HttpResponse,
  req: HttpRequest,
): string | undefined {
  if (config.publicUrl) return config.publicUrl;
  const trusted = isTrustedProxy(peerAddress(res), config.trustProxy);
  const first = (h: string) => h.split(',')[0]!.trim().toLowerCase();
  const fwdProto = trusted ? first(req.getHeader('x-forwarded-proto')) : '';
  const fwdHost = trusted ? first(req.getHeader('x-forwarded-host')) : '';
  const host = fwdHost || req.getHeader('host').trim().toLowerCase();
  if (!host) return undefined;
  const scheme = fwdProto === 'https' ? 'https' : 'http';
  try {
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    return undefined;
  }
}

/** Why the request is refused, or undefined when it may go on. */
export function crossOriginReason(
  origin: string,
  fetchSite: string,
  site: string | undefined,
): string | undefined {
  if (origin) {
    if (origin === 'null') return 'Requests from an opaque origin (Origin: null) are not allowed';
    let o: string;
    try {
      o = new URL(origin).origin;
    } catch {
      return 'The Origin header is not an origin';
    }
    return site !== undefined && o === site ? undefined : `Requests from ${o} are not allowed`;
  }
  if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none') {
    return `Requests from another origin (Sec-Fetch-Site: ${fetchSite}) are not allowed`;
  }
  return undefined;
}

/** Wraps a handler with the check; a refusal is 403 `006`, and the connection is closed after it
 * (a request body may follow unread). Must run first in the synchronous handler. */
export function sameOriginOnly(config: Config, handler: Handler): Handler {
  return (res, req) => {
    if (UNSAFE_METHODS.has(req.getMethod())) {
      const reason = crossOriginReason(
        req.getHeader('origin'),
        req.getHeader('sec-fetch-site').toLowerCase(),
        siteOrigin(config, res, req),
      );
      if (reason) {
        exchange(res).error('forbidden', reason, true);
        return;
      }
    }
    handler(res, req);
  };
}

/**
 * `app` as the web service's modules should see it: every route registered through it for a
 * state-changing method (post/put/patch/del, and `any` for those methods) is checked first.
 * It is a view: `inflightOf` must still be given the real app.
 */
export function sameOriginApp(app: TemplatedApp, config: Config): TemplatedApp {
  const view: TemplatedApp = new Proxy(app, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof prop === 'string' && (UNSAFE_ROUTES.has(prop) || prop === 'any')) {
        return (pattern: string, handler: Handler) => {
          value.call(target, pattern, sameOriginOnly(config, handler));
          return view;
        };
      }
      return value.bind(target);
    },
  });
  return view;
}
