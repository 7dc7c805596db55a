/**
 * Crash containment for uWS handlers (issue 10, item 1): no fault of one request may end the
 * thread, let alone the process. (Each guarded handler also refuses unsound request framing
 * first: framing.ts.)
 *
 * `guardApp(app, log)` wraps every route handler an app registers. Each request gets one
 * RequestRecord (request.ts) that is
 *   - the AsyncLocalStorage scope while its handler runs (log.ts's request scope, so log lines
 *     carry its request id), so promises, nextTicks and timers it starts carry it:
 *     `process.on('uncaughtException' | 'unhandledRejection')` (installed by the thread entry
 *     with `containCrashes`) can name the request and answer it;
 *   - re-entered around the callbacks uWS calls later from native code (`onData`, `onWritable`,
 *     `onAborted`), which would otherwise run with no context; those are also try/caught (the
 *     response prototype is patched once per thread, response-hooks.ts; the record rides on the
 *     response);
 *   - on routes registered after `observeApp` (observe.ts), also the request's observation: id,
 *     status, bytes, access line and metrics — one object and one scope per request.
 * The Exchange created for the request attaches itself (`attachExchange`), so a crash is answered
 * through it: 500 JSON and close when no status line was written yet, a dropped connection
 * otherwise; its close listeners then return the limiter token as usual. Its abort handler is
 * registered when the synchronous handler returns with the response still open (a response
 * answered synchronously never needs one: no closure, no native call).
 *
 * Invariants:
 *   - a crash answers its request at most once and never touches a response after abort or end
 *     (the Exchange's `open` says so); a crash with no request is logged, nothing else;
 *   - wrapping never changes what a handler sees: the same `res` and `req`, the same callbacks;
 *   - a response still open when its handler returns has its Exchange's onAborted registered
 *     before uWS regains control (uWS's rule).
 */

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { type Logger, withRequest } from '../../log.js';
import { ERROR_CODES, HttpError } from './errors.js';
import { framingProblem } from './framing.js';
import { requestStart, routeInfo } from './observe.js';
import {
  currentRecord,
  RECORD,
  RequestRecord,
  type RouteInfo,
  setHandling,
  type WithRecord,
} from './request.js';
import { REQUEST_ID_HEADER, requestNumber } from './request-id.js';
import type { Exchange } from './respond.js';
import { patchResponses } from './response-hooks.js';
import { wire } from './wire.js';

export { RequestRecord } from './request.js';

const ROUTES = new Set([
  'get',
  'post',
  'put',
  'del',
  'patch',
  'head',
  'options',
  'any',
  'connect',
  'trace',
]);
const INTERNAL = JSON.stringify(new HttpError('internal').toJSON());
/** X-Request-Id's name as the addon reads it (wire.ts). */
const ID_KEY = wire(REQUEST_ID_HEADER);

/**
 * Called by Exchange's constructor: the request of `x.res` (if guarded) answers a crash through
 * its first Exchange. Returns true when the guard registers the Exchange's abort handler itself,
 * once the synchronous handler returns (`armAbort`), false when the Exchange must do it now.
 */
export function attachExchange(x: Exchange): boolean {
  const r = (x.res as WithRecord)[RECORD];
  if (r === undefined) return false;
  if (r.exchange === undefined) {
    r.exchange = x;
    r.abortDeferred = r.inHandler;
    return r.inHandler;
  }
  // A second Exchange on one response registers its handler now, after the first's, as uWS
  // keeps only the last one.
  if (r.abortDeferred) {
    r.abortDeferred = false;
    r.exchange.armAbort();
  }
  return false;
}

/** The request whose code is running (undefined outside a guarded request). */
export function currentRequest(): RequestRecord | undefined {
  return currentRecord();
}

/** Answers a crashed request if it still can: 500 + close, or a dropped connection. */
function answer(r: RequestRecord, inHandler: boolean): void {
  const x = r.exchange;
  if (x) {
    if (!x.open) return;
    if (r.started) x.close();
    else x.error(new HttpError('internal'), undefined, true);
    return;
  }
  // No Exchange yet: only the synchronous handler may still answer (it has not returned).
  if (!inHandler) return;
  try {
    r.res
      .writeStatus(`${ERROR_CODES.internal.status} Internal Server Error`)
      .writeHeader('Content-Type', 'application/json')
      .end(INTERNAL, true);
  } catch {
    // Already ended by the handler before it threw: nothing more to do.
  }
}

/**
 * Logs a crash with its request, answers the request if it can, tells the thread's crash hook.
 * Never throws.
 */
export function reportCrash(
  log: Logger,
  err: unknown,
  r = currentRecord(),
  inHandler = false,
): void {
  try {
    log.error('uncaught error in a request; the thread keeps serving', {
      method: r?.method,
      // Undefined for a crash after the response ended in its handler (request.ts): the route
      // and the request id still name the request.
      url: r?.url,
      route: r?.route?.route,
      err,
      stack: (err as Error)?.stack,
    });
    if (r) answer(r, inHandler);
    crashHook?.(err, r);
  } catch (e) {
    log.error('could not answer or report a crashed request', { err: e });
  }
}

let crashHook: ((err: unknown, request: RequestRecord | undefined) => void) | undefined;

const crashed = (err: unknown, r: RequestRecord) => reportCrash(r.log, err, r);

/** The synchronous handler inside the record's scope; registers a deferred abort handler after. */
function run(r: RequestRecord, handler: Handler, res: HttpResponse, req: HttpRequest): void {
  setHandling(res);
  try {
    handler(res, req);
    // The request is valid until this returns: keep its URL if a later crash could report it.
    if (!r.done) r.url = req.getUrl();
  } catch (err) {
    r.url = req.getUrl();
    reportCrash(r.log, err, r, true);
  } finally {
    setHandling(undefined);
    r.inHandler = false;
    if (r.abortDeferred) {
      r.abortDeferred = false;
      r.exchange!.armAbort();
    }
  }
}

type Handler = (res: HttpResponse, req: HttpRequest) => void;

/**
 * @param method the method a route of one method serves, as uWS reports it (lower case), or
 *   undefined for `any` (read from each request)
 */
function guardHandler(
  log: Logger,
  handler: Handler,
  route: RouteInfo | undefined,
  method: string | undefined,
): Handler {
  return (res, req) => {
    patchResponses(res, crashed);
    const given = route === undefined ? '' : req.getHeader(ID_KEY);
    const reqNo = route === undefined ? -1 : requestNumber(given);
    const start = route?.timed ? requestStart() : 0;
    const r = new RequestRecord(method ?? req.getMethod(), res, log, route, given, reqNo, start);
    (res as WithRecord)[RECORD] = r;
    const problem = framingProblem(req);
    if (problem) {
      // Synchronous (corked by uWS); close: where this body ends is exactly what is in doubt.
      res
        .writeStatus('400 Bad Request')
        .writeHeader('Content-Type', 'application/json')
        .end(JSON.stringify(new HttpError('badRequest', problem).toJSON()), true);
      return;
    }
    withRequest(r, run, r, handler, res, req);
  };
}

/**
 * The app as services see it: route registrations are guarded, everything else is the app's own.
 * Use the returned object everywhere (it is also the key of `inflightOf`).
 */
export function guardApp(app: TemplatedApp, log: Logger): TemplatedApp {
  const proxy: TemplatedApp = new Proxy(app, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof prop === 'string' && ROUTES.has(prop)) {
        const method = prop === 'any' ? undefined : prop === 'del' ? 'delete' : prop;
        return (pattern: string, handler: Handler) => {
          const route = routeInfo(proxy, pattern);
          value.call(target, pattern, guardHandler(log, handler, route, method));
          return proxy;
        };
      }
      return value.bind(target);
    },
  });
  return proxy;
}

/**
 * Installs the thread's last line of defence: uncaught exceptions and unhandled rejections are
 * logged with their request (if any), which is answered; the thread keeps serving. `onCrash`
 * hears of each (the HTTP thread reports them to its host). Call once per thread, from its entry.
 */
export function containCrashes(
  log: Logger,
  onCrash?: (err: unknown, request: RequestRecord | undefined) => void,
): void {
  crashHook = onCrash;
  const handle = (err: unknown) => reportCrash(log, err);
  process.on('uncaughtException', handle);
  process.on('unhandledRejection', handle);
}
