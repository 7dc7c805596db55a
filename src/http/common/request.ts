/**
 * The one object a guarded request gets (guard.ts makes it in the synchronous handler): crash
 * containment's state, the request id and user every log line carries (it is the log scope of
 * log.ts's `withRequest`), and — on observed routes — what the access line and the request
 * metrics need (observe.ts). One allocation and one AsyncLocalStorage scope per request, where
 * there used to be a record, a log scope and an observation state in two nested scopes.
 *
 * Invariants:
 * - created and entered only by the guard; the response carries it (`RECORD`) so callbacks uWS
 *   calls later re-enter it;
 * - `reqId` is '' exactly on unobserved routes (health probes): no X-Request-Id, no access line.
 */

import type { HttpResponse } from 'uWebSockets.js';
import { currentRequest, type Logger, type RequestScope } from '../../log.js';
import type { RouteStats } from '../../metrics/http-stats.js';
import { generatedId } from './request-id.js';
import type { Exchange } from './respond.js';

/** Per-route observation, computed once at registration (observe.ts). */
export interface RouteInfo {
  service: string;
  route: string;
  /** Undefined when the access log is off. */
  access: ((r: RequestRecord) => void) | undefined;
  /** Undefined when metrics are off. */
  stats: RouteStats | undefined;
  /** Either is on: the request's duration is measured. */
  timed: boolean;
}

export class RequestRecord implements RequestScope {
  /** The first Exchange made for this request (respond.ts): a crash answers through it. */
  exchange: Exchange | undefined = undefined;
  /** That Exchange still waits for the handler's return to register its onAborted. */
  abortDeferred = false;
  /** The synchronous handler is running (uWS has the response corked). */
  inHandler = true;
  /** A status line was written: a crash can only drop the connection now. */
  started = false;
  /** Filled in once the session is known (session.ts). */
  user: string | undefined = undefined;
  /**
   * Observation: status (499 once finished by an abort), body bytes, X-Request-Id written,
   * finished (access line + metrics) and when. Nothing changes once `done`: observe.ts may keep
   * the record until its turn ends, when its metrics and access line are made.
   */
  status = 200;
  bytes = 0;
  idWritten = false;
  done = false;
  /** performance.now() when the response ended (observe.ts `finish`, on timed routes). */
  end = 0;
  /**
   * The URL, for crash reports; read from the request only while it is valid and only when a
   * report could need it (guard.ts: a handler that threw, or returned before the response
   * ended). A request answered in its handler never pays for the string.
   */
  url: string | undefined = undefined;
  #reqId: string;

  constructor(
    /** Lower case, as uWS reports it. */
    readonly method: string,
    readonly res: HttpResponse,
    readonly log: Logger,
    readonly route: RouteInfo | undefined,
    /** The kept `X-Request-Id` when `reqNo` is -1; '' on unobserved routes. */
    given: string,
    /** The number of the id generated for this request (request-id.ts), or -1 when it was given. */
    readonly reqNo: number,
    /** performance.now() when it started, on timed routes (observe.ts `requestStart`); else 0. */
    readonly start: number,
  ) {
    this.#reqId = reqNo < 0 ? given : ''; // an unsafe given id is replaced
  }

  /** The request id: made into a string only when something reads it (a log line, a forward). */
  get reqId(): string {
    if (this.reqNo >= 0 && this.#reqId === '') this.#reqId = generatedId(this.reqNo);
    return this.#reqId;
  }
}

const UPPER: Readonly<Record<string, string>> = Object.freeze({
  get: 'GET',
  head: 'HEAD',
  post: 'POST',
  put: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  options: 'OPTIONS',
});

/** The method as the access line and metrics label it (upper case). */
export function methodLabel(method: string): string {
  return UPPER[method] ?? method.toUpperCase();
}

export const RECORD = Symbol('request.record');
export type WithRecord = HttpResponse & { [RECORD]?: RequestRecord };

/** The guarded request whose code is running (undefined outside one). */
export function currentRecord(): RequestRecord | undefined {
  const r = currentRequest();
  return r instanceof RequestRecord ? r : undefined;
}

/** The response whose synchronous handler is running now (uWS corks it), if any. */
let handling: HttpResponse | undefined;

export function setHandling(res: HttpResponse | undefined): void {
  handling = res;
}

/** True while `res`'s synchronous handler runs: writes are corked already. */
export function inSyncHandler(res: HttpResponse): boolean {
  return handling === res;
}
