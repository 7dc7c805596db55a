/**
 * Per-request observation for the routes of a guarded uWS app: request id, access log line,
 * metrics.
 *
 * `observeApp(app, …)` (app = the guarded app of guard.ts) marks every route registered from now
 * on as observed: the guard then gives each of its requests, in the same RequestRecord and
 * AsyncLocalStorage scope as crash containment (request.ts), the request id (`X-Request-Id` kept
 * when safe, else generated) and the start time, so every log line the request causes carries
 * `reqId`. Routes registered before (health probes) stay out of the access log and metrics.
 *
 * Finishing is seen on the response itself (guard.ts patches the thread's shared uWS response
 * prototype once): the status from `writeStatus`, body bytes from `end`/`write`/`tryEnd`, and
 * `finish` on end, a completed tryEnd, close, or abort.
 *
 * Invariants:
 * - `X-Request-Id` is written exactly once: right after the status line and any fixed headers
 *   written with it (wire.ts's WireHeaders; in the same writeStatus call when the status is wire
 *   bytes, `statusWithId`), or before the first body write when the handler never wrote a status
 *   (200). So uWS's status-before-headers rule holds and the header is never
 *   written after the response ended.
 * - `finish` runs at most once per request; it allocates nothing but the access line.
 */

import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../log.js';
import { bytesOf, put, putAscii } from '../../log-bytes.js';
import { threadMetrics } from '../../metrics/registry.js';
import { accessLogWriter } from './access-log.js';
import type { RequestRecord, RouteInfo } from './request.js';
import { GENERATED_ID_LENGTH, idHead, putIdTail } from './request-id.js';
import { wire } from './wire.js';

export interface ObserveOptions {
  service: string;
  /** One info line per request (`ACCESS_LOG`). */
  accessLog: boolean;
  /** Count requests in the thread's registry (off when nothing can scrape: METRICS_PORT=0). */
  metrics: boolean;
  log: Logger;
}

const observed = new WeakMap<TemplatedApp, ObserveOptions>();

/** Observes every route registered on the guarded `app` from now on (before mounting). */
export function observeApp(app: TemplatedApp, options: ObserveOptions): TemplatedApp {
  observed.set(app, options);
  return app;
}

/** The observation of a route being registered on `app`, or undefined (not observed). */
export function routeInfo(app: TemplatedApp, pattern: string): RouteInfo | undefined {
  const o = observed.get(app);
  if (o === undefined) return undefined;
  const access = o.accessLog ? accessLogWriter(o.service, pattern, o.log) : undefined;
  const http = o.metrics ? threadMetrics().http : undefined;
  http?.beforeRead(observeEnded);
  const stats = http?.route(o.service, pattern);
  return { service: o.service, route: pattern, access, stats, timed: !!(access || stats) };
}

/**
 * Request durations on the event loop's turn, as nginx and HAProxy time theirs: the clock is read
 * when a turn first handles a request (every request handled in that turn starts then) and once
 * at the turn's end (setImmediate: libuv's check phase, after uWS has handled every ready socket
 * and sent what their handlers wrote), which ends every request whose response ended inside its
 * handler in that turn. A response ended later (a download, an upload, a store call) reads the
 * clock when it ends. So a request's duration covers the wait behind requests handled before it
 * in its turn, and may exceed its own by those handled after it: at most the turn's length (µs
 * under load; a handler that blocks the loop is waited for by every request of its turn).
 * Why: a clock read costs ~0.1–0.25 µs on the request path (cold after the kernel's socket
 * work); two per 404 were most of what the access log and metrics cost (bench/results/
 * http-ops.md). Under load a turn handles several requests, so most requests read no clock.
 *
 * Invariant: a record is observed (metrics, access line) once, with its end set; records ended
 * in a turn are observed by that turn's end, before a scrape reads the metrics, and at exit.
 */
let turnStart = -1;
let armed = false;
/** Records whose response ended inside their handler this turn: their end is the turn's end. */
const endedInTurn: RequestRecord[] = [];

/** The start of a request handled now (its handler is running: libuv's poll phase). */
export function requestStart(): number {
  if (turnStart < 0) {
    turnStart = performance.now();
    arm();
  }
  return turnStart;
}

function arm(): void {
  if (armed) return;
  armed = true;
  setImmediate(endTurn);
}

function endTurn(): void {
  armed = false;
  turnStart = -1;
  observeEnded();
}

/** Ends and observes the records ended in this turn (the turn's end, a scrape, exit). */
export function observeEnded(): void {
  const n = endedInTurn.length;
  if (n === 0) return;
  const end = performance.now();
  try {
    for (let i = 0; i < n; i++) {
      const r = endedInTurn[i]!;
      r.end = end;
      record(r, r.route!);
    }
  } finally {
    // Emptied even if a record's observation throws (log-write.ts drops, it does not throw): never
    // observed twice.
    endedInTurn.length = 0;
  }
}
// First among exit listeners: the log buffer's own exit flush (log-buffer.ts) writes their lines.
process.prependListener('exit', observeEnded);

function record(r: RequestRecord, route: RouteInfo): void {
  route.stats?.record(r.method, r.status, r.bytes, (r.end - r.start) / 1000);
  route.access?.(r);
}

/**
 * Records the finished request once: status 499 when the client went away first; its end (the
 * turn's end when its handler ended it, see above) and then its metrics and access line.
 */
export function finish(r: RequestRecord, route: RouteInfo, aborted: boolean): void {
  if (r.done) return;
  r.done = true;
  if (!route.timed) return;
  if (aborted) r.status = 499;
  if (r.inHandler) {
    endedInTurn.push(r);
    arm(); // armed already by its start, in this same handler
    return;
  }
  r.end = performance.now();
  record(r, route);
}

const ID_HEADER = wire('X-Request-Id');
const ID_LINE = bytesOf('\r\nX-Request-Id: ');

/**
 * Where statusWithId writes: one buffer per length, each its own ArrayBuffer (the addon takes a
 * view's buffer first, one more call). uWS copies what writeStatus is given before it returns, so
 * the next request of that length may reuse it. Lengths: a status line (with its fixed headers)
 * and an id (36, or a given id's 1–128), a bounded set.
 */
const byLength: (Uint8Array | undefined)[] = [];

/**
 * A wire status line (and the fixed headers written with it, wire.ts) followed by this request's
 * X-Request-Id header line, for one `writeStatus` call instead of a status and a header call.
 * The id is a safe token or a generated UUID-shaped id: nothing in it can end a header line.
 */
export function statusWithId(line: Uint8Array, r: RequestRecord): ArrayBuffer {
  const generated = r.reqNo >= 0;
  const size = line.length + ID_LINE.length + (generated ? GENERATED_ID_LENGTH : r.reqId.length);
  let b = byLength[size];
  if (b === undefined) byLength[size] = b = new Uint8Array(new ArrayBuffer(size));
  const o = put(b, put(b, 0, line), ID_LINE);
  if (generated) putIdTail(b, put(b, o, idHead(r.reqNo)), r.reqNo);
  else putAscii(b, o, r.reqId);
  return b.buffer as ArrayBuffer;
}

/** Writes X-Request-Id once (after the status line, or first when none was written). */
export function writeRequestId(
  writeHeader: (this: HttpResponse, k: ArrayBuffer, v: string) => unknown,
  res: HttpResponse,
  r: RequestRecord,
): void {
  r.idWritten = true;
  writeHeader.call(res, ID_HEADER, r.reqId);
}

export function byteLength(body: unknown): number {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  return (body as ArrayBufferLike | ArrayBufferView).byteLength ?? 0;
}
