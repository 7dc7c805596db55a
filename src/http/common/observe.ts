/**
 * Per-request observation for every route of a uWS app: request id, access log line, metrics.
 *
 * `observeApp(app, …)` wraps the route methods of one app instance (the app keeps its identity,
 * so `inflightOf(app)` still works). Each wrapped handler, synchronously and before the service
 * sees the request: reads `X-Request-Id` (kept when safe, else generated), starts the clock, and
 * runs the handler inside `withRequest` so every log line the request causes carries `reqId`.
 *
 * Finishing is seen on the response itself. uWS responses of a thread share one native prototype;
 * `patchResponses` wraps its writeStatus/end/endWithoutBody/tryEnd/write/close/onAborted once
 * per thread. A wrapper does its extra work only when the response carries observation state
 * (set here), so other uWS apps in the thread pay one property read.
 *
 * Invariants:
 * - `X-Request-Id` is written exactly once, right after the status line (or before the first
 *   body write when the handler never wrote a status: 200), so uWS's status-before-headers rule
 *   holds and the header is never written after the response ended.
 * - `finish` runs at most once per request: on end, on a completed tryEnd, on close, or on abort.
 * - The hot path allocates one small state object and no closure except for onAborted.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { type Logger, type RequestScope, withRequest } from '../../log.js';
import type { RouteStats } from '../../metrics/http-stats.js';
import { threadMetrics } from '../../metrics/registry.js';
import { type AccessFields, accessLogWriter } from './access-log.js';
import { REQUEST_ID_HEADER, requestId } from './request-id.js';

type Handler = (res: HttpResponse, req: HttpRequest) => void | Promise<void>;

export interface ObserveOptions {
  service: string;
  /** One info line per request (`ACCESS_LOG`). */
  accessLog: boolean;
  /** Count requests in the thread's registry (off when nothing can scrape: METRICS_PORT=0). */
  metrics: boolean;
  log: Logger;
}

/** Per-route constants, computed once at registration. */
interface RouteInfo {
  service: string;
  route: string;
  /** Undefined when the access log is off. */
  access: ((f: AccessFields) => void) | undefined;
  /** Undefined when metrics are off. */
  stats: RouteStats | undefined;
}

interface State {
  info: RouteInfo;
  scope: RequestScope;
  method: string;
  start: number;
  status: number;
  bytes: number;
  idWritten: boolean;
  done: boolean;
}

const STATE = Symbol('observe');
type Observed = HttpResponse & { [STATE]?: State };

const METHODS = ['get', 'post', 'put', 'patch', 'del', 'head', 'options', 'any'] as const;

function finish(st: State, aborted: boolean): void {
  if (st.done) return;
  st.done = true;
  const { info } = st;
  const seconds = (performance.now() - st.start) / 1000;
  const status = aborted ? 499 : st.status;
  info.stats?.record(st.method, status, st.bytes, seconds);
  info.access?.({
    reqId: st.scope.reqId,
    method: st.method,
    status,
    bytes: st.bytes,
    seconds,
    user: st.scope.user,
    aborted,
  });
}

let patched = false;

function byteLength(body: unknown): number {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  return (body as ArrayBufferLike | ArrayBufferView).byteLength ?? 0;
}

/** Wraps the shared HttpResponse prototype's methods once per thread (see the header). */
function patchResponses(res: HttpResponse): void {
  if (patched) return;
  patched = true;
  const proto = Object.getPrototypeOf(res) as Record<string, (...a: unknown[]) => unknown>;
  const o = { ...proto };
  const writeId = (r: Observed, st: State) => {
    st.idWritten = true;
    o.writeHeader!.call(r, 'X-Request-Id', st.scope.reqId);
  };
  proto.writeStatus = function (this: Observed, status: unknown) {
    const out = o.writeStatus!.call(this, status);
    const st = this[STATE];
    if (st !== undefined && !st.idWritten) {
      st.status = Number.parseInt(String(status), 10) || 200;
      writeId(this, st);
    }
    return out;
  };
  const ending = (name: 'end' | 'endWithoutBody' | 'close') =>
    function (this: Observed, ...args: unknown[]) {
      const st = this[STATE];
      if (st === undefined || st.done) return o[name]!.apply(this, args);
      if (!st.idWritten && name !== 'close') writeId(this, st);
      if (name === 'end') st.bytes += byteLength(args[0]);
      const out = o[name]!.apply(this, args);
      finish(st, name === 'close');
      return out;
    };
  proto.end = ending('end');
  proto.endWithoutBody = ending('endWithoutBody');
  proto.close = ending('close');
  proto.write = function (this: Observed, chunk: unknown) {
    const st = this[STATE];
    if (st !== undefined && !st.done) {
      if (!st.idWritten) writeId(this, st);
      st.bytes += byteLength(chunk);
    }
    return o.write!.call(this, chunk);
  };
  proto.tryEnd = function (this: Observed, chunk: unknown, total: unknown) {
    const st = this[STATE];
    if (st !== undefined && !st.done && !st.idWritten) writeId(this, st);
    const out = o.tryEnd!.call(this, chunk, total) as [boolean, boolean];
    if (st !== undefined && !st.done && out[1]) {
      st.bytes += Number(total);
      finish(st, false);
    }
    return out;
  };
  proto.onAborted = function (this: Observed, handler: unknown) {
    const st = this[STATE];
    if (st === undefined) return o.onAborted!.call(this, handler);
    return o.onAborted!.call(this, () => {
      finish(st, true);
      (handler as () => void)();
    });
  };
}

function wrap(info: RouteInfo, handler: Handler): Handler {
  return (res, req) => {
    patchResponses(res);
    const scope: RequestScope = { reqId: requestId(req.getHeader(REQUEST_ID_HEADER)) };
    (res as Observed)[STATE] = {
      info,
      scope,
      method: req.getMethod().toUpperCase(),
      start: performance.now(),
      status: 200,
      bytes: 0,
      idWritten: false,
      done: false,
    };
    return withRequest(scope, () => handler(res, req));
  };
}

/** Observes every route registered on `app` from now on (call before mounting the service). */
export function observeApp(app: TemplatedApp, options: ObserveOptions): TemplatedApp {
  const target = app as unknown as Record<string, (p: string, h: Handler) => TemplatedApp>;
  for (const method of METHODS) {
    const original = target[method]!.bind(app);
    target[method] = (pattern: string, handler: Handler) => {
      const stats = options.metrics
        ? threadMetrics().http.route(options.service, pattern)
        : undefined;
      const { service, accessLog, log } = options;
      const access = accessLog ? accessLogWriter(service, pattern, log) : undefined;
      return original(pattern, wrap({ service, route: pattern, access, stats }, handler));
    };
  }
  return app;
}
