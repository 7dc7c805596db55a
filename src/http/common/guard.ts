/**
 * Crash containment for uWS handlers (issue 10, item 1): no fault of one request may end the
 * thread, let alone the process. (Each guarded handler also refuses unsound request framing
 * first: framing.ts.)
 *
 * `guardApp(app, log)` wraps every route handler an app registers. Each request gets a
 * RequestRecord (method, url) that is
 *   - the AsyncLocalStorage store while its handler runs, so promises, nextTicks and timers it
 *     starts carry it: `process.on('uncaughtException' | 'unhandledRejection')` (installed by the
 *     thread entry with `containCrashes`) can name the request and answer it;
 *   - re-entered around the callbacks uWS calls later from native code (`onData`, `onWritable`,
 *     `onAborted`), which would otherwise run with no context; those are also try/caught (the
 *     response prototype is patched once per thread; the record rides on the response).
 * The Exchange created for the request attaches itself (`attachExchange`), so a crash is answered
 * through it: 500 JSON and close when no status line was written yet (`writeStatus` is watched),
 * a dropped connection otherwise; its close listeners then return the limiter token as usual.
 *
 * Invariants:
 *   - a crash answers its request at most once and never touches a response after abort or end
 *     (the Exchange's `open` says so); a crash with no request is logged, nothing else;
 *   - wrapping never changes what a handler sees: the same `res` and `req`, the same callbacks.
 */

import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../../log.js';
import { ERROR_CODES, HttpError } from './errors.js';
import { framingProblem } from './framing.js';
import type { Exchange } from './respond.js';

export class RequestRecord {
  exchange: Exchange | undefined;
  /** A status line was written: a crash can only drop the connection now. */
  started = false;
  constructor(
    readonly method: string,
    readonly url: string,
    readonly res: HttpResponse,
    readonly log: Logger,
  ) {}
}

const current = new AsyncLocalStorage<RequestRecord>();
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

/** Called by Exchange's constructor: the request running now (if guarded) answers through it. */
export function attachExchange(x: Exchange): void {
  const r = current.getStore();
  if (r && r.exchange === undefined) r.exchange = x;
}

/** The request whose code is running (undefined outside a guarded request). */
export function currentRequest(): RequestRecord | undefined {
  return current.getStore();
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
  r = current.getStore(),
  inHandler = false,
): void {
  try {
    log.error('uncaught error in a request; the thread keeps serving', {
      method: r?.method,
      url: r?.url,
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

function wrapCallback<A extends unknown[], R>(
  r: RequestRecord,
  fn: (...args: A) => R,
): (...args: A) => R {
  return (...args: A) =>
    current.run(r, () => {
      try {
        return fn(...args);
      } catch (err) {
        reportCrash(r.log, err, r);
        // onWritable wants a boolean: "done with this chunk" stops the retries.
        return true as R;
      }
    });
}

const RECORD = Symbol('guard.request');
type Guarded = HttpResponse & { [RECORD]?: RequestRecord };
const patched = new WeakSet<object>();

/**
 * Once per response prototype (uWS responses of a thread share one): callbacks registered on a
 * guarded response run inside its record, and its first status line is noted. Responses without
 * a record (not from a guarded app) pay one property read.
 */
function patchPrototype(proto: Record<string, unknown>): void {
  if (patched.has(proto)) return;
  patched.add(proto);
  const writeStatus = proto.writeStatus as (this: Guarded, s: string) => HttpResponse;
  proto.writeStatus = function (this: Guarded, status: string) {
    const r = this[RECORD];
    if (r) r.started = true;
    return writeStatus.call(this, status);
  };
  for (const name of ['onData', 'onWritable', 'onAborted'] as const) {
    const register = proto[name] as (this: Guarded, fn: unknown) => HttpResponse;
    proto[name] = function (this: Guarded, fn: (...a: unknown[]) => unknown) {
      const r = this[RECORD];
      return register.call(this, r ? wrapCallback(r, fn) : fn);
    };
  }
}

function guardHandler(
  log: Logger,
  handler: (res: HttpResponse, req: HttpRequest) => void,
): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const problem = framingProblem(req);
    if (problem) {
      // Synchronous (corked by uWS); close: where this body ends is exactly what is in doubt.
      res
        .writeStatus('400 Bad Request')
        .writeHeader('Content-Type', 'application/json')
        .end(JSON.stringify(new HttpError('badRequest', problem).toJSON()), true);
      return;
    }
    patchPrototype(Object.getPrototypeOf(res) as Record<string, unknown>);
    const r = new RequestRecord(req.getMethod(), req.getUrl(), res, log);
    (res as Guarded)[RECORD] = r;
    current.run(r, () => {
      try {
        handler(res, req);
      } catch (err) {
        reportCrash(log, err, r, true);
      }
    });
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
        return (pattern: string, handler: (res: HttpResponse, req: HttpRequest) => void) => {
          value.call(target, pattern, guardHandler(log, handler));
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
