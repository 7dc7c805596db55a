/**
 * The HTTP front's errors, in the project's one catalog (src/errors.ts): a base class with a
 * stable `code`, one subclass per condition.
 *
 * Two families live here:
 * - start-up errors of the host (`ERR_UWS_NATIVE`, `ERR_SERVICE_MISSING`, `ERR_HTTP_LISTEN`, …);
 * - `HttpError`: a request failure that maps to a status and an api-style JSON body
 *   `{"error": "...", "error_code": "00N"}` (REFERENCE.md, api). Services throw or build these and
 *   `sendError` turns them into a response. Each kind has its own catalog code
 *   (`ERR_HTTP_NOT_FOUND`, …) beside the api's numeric `error_code`.
 */
import { defineErrors, VideoServerError } from '../../errors.js';

export class HttpFrontError extends VideoServerError {}

/** The native uWS addon failed to load: we never run on the package's pure-Node fallback. */
export class UwsNativeError extends HttpFrontError {
  constructor(binary: string, cause: unknown) {
    super(
      'ERR_UWS_NATIVE',
      `uWebSockets.js native addon ${binary} failed to load (${(cause as Error)?.message ?? cause}); ` +
        'refusing to start on the slow pure-Node fallback',
      { cause },
    );
  }
}

/** A service is enabled in `config.only` but no module is registered for it in services.ts. */
export class ServiceMissingError extends HttpFrontError {
  constructor(readonly service: string) {
    super('ERR_SERVICE_MISSING', `service "${service}" is enabled but not built into this server`);
  }
}

export class ListenError extends HttpFrontError {
  constructor(service: string, host: string, port: number) {
    super('ERR_HTTP_LISTEN', `${service}: cannot listen on ${host}:${port}`);
  }
}

/** An HTTP thread failed to start for a reason without a code of its own. */
export class HttpStartError extends HttpFrontError {
  constructor(message: string) {
    super('ERR_HTTP_START', message);
  }
}

/** An HTTP thread died (uncaught error or unexpected exit). */
export class ThreadCrashError extends HttpFrontError {
  constructor(
    readonly threadIndex: number,
    detail: string,
  ) {
    super('ERR_HTTP_THREAD_CRASH', `HTTP thread ${threadIndex} crashed: ${detail}`);
  }
}

/** An HTTP thread's heartbeat was silent past the watchdog's deadline (src/http/host-watchdog.ts). */
export class ThreadWedgedError extends HttpFrontError {
  constructor(
    readonly threadIndex: number,
    readonly silentMs: number,
  ) {
    super('ERR_HTTP_THREAD_WEDGED', `HTTP thread ${threadIndex} silent for ${silentMs} ms`);
  }
}

/**
 * The api's error codes (REFERENCE.md). 001–007 are the api's; 008–010 are ours for the statuses
 * the reference says "where they apply" (413, 415, 429); 011–013 are storage faults (issue 10).
 */
export const ERROR_CODES = Object.freeze({
  badRequest: { status: 400, code: '001', message: 'Request body is not correct' },
  unauthorized: { status: 401, code: '002', message: 'User authentication failed.' },
  dbFailed: { status: 500, code: '003', message: 'DB ops failed' },
  internal: { status: 500, code: '004', message: 'Internal service error' },
  notFound: { status: 404, code: '005', message: 'Not found' },
  forbidden: { status: 403, code: '006', message: 'Forbidden' },
  conflict: { status: 409, code: '007', message: 'Conflict' },
  tooLarge: { status: 413, code: '008', message: 'Payload too large' },
  unsupportedMedia: { status: 415, code: '009', message: 'Unsupported media type' },
  tooManyRequests: { status: 429, code: '010', message: 'Too many requests' },
  /** The database could not commit (disk full, I/O error, unreachable): retry later. */
  unavailable: { status: 503, code: '011', message: 'Storage unavailable, try again later' },
  /** The disk is full (ENOSPC/EDQUOT) while storing a blob. */
  insufficientStorage: { status: 507, code: '012', message: 'Insufficient storage' },
  /** The user's stored videos would exceed USER_QUOTA_BYTES. */
  quotaExceeded: { status: 413, code: '013', message: 'Storage quota exceeded' },
} as const);

export type ErrorKind = keyof typeof ERROR_CODES;

/** The catalog code of a kind: `notFound` → `ERR_HTTP_NOT_FOUND`. */
export function httpErrorCode(kind: ErrorKind): string {
  return `ERR_HTTP_${kind.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

const KIND_BY_CODE = new Map(
  (Object.keys(ERROR_CODES) as ErrorKind[]).map((k) => [httpErrorCode(k), k]),
);

/**
 * A request failure with its HTTP status and api error code. Status, kind and api code derive
 * from the catalog `code`, so an HttpError rebuilt after crossing a thread is whole again.
 */
export class HttpError extends VideoServerError {
  constructor(kind: ErrorKind, message?: string) {
    super(httpErrorCode(kind), message ?? ERROR_CODES[kind].message);
    this.name = 'HttpError';
  }

  get kind(): ErrorKind {
    return KIND_BY_CODE.get(this.code) ?? 'internal';
  }

  get status(): number {
    return ERROR_CODES[this.kind].status;
  }

  /** The api's numeric code (`005`), as the reference's JSON body carries it. */
  get errorCode(): string {
    return ERROR_CODES[this.kind].code;
  }

  /** The api's JSON body. */
  toJSON(): { error: string; error_code: string } {
    return { error: this.message, error_code: this.errorCode };
  }
}

/** The client went away before the request body was complete; nothing to answer. */
export class ClientAbortedError extends HttpFrontError {
  constructor() {
    super('ERR_CLIENT_ABORTED', 'the client aborted the request');
  }
}

defineErrors('http', {
  ERR_UWS_NATIVE: UwsNativeError,
  ERR_SERVICE_MISSING: ServiceMissingError,
  ERR_HTTP_LISTEN: ListenError,
  ERR_HTTP_START: HttpStartError,
  ERR_HTTP_THREAD_CRASH: ThreadCrashError,
  ERR_HTTP_THREAD_WEDGED: ThreadWedgedError,
  ERR_CLIENT_ABORTED: ClientAbortedError,
  ...Object.fromEntries([...KIND_BY_CODE.keys()].map((code) => [code, HttpError])),
});
