/**
 * Response helpers that enforce uWS's rules (ARCHITECTURE.md, "HTTP front"). Breaking them kills
 * the process, so every service goes through an Exchange instead of touching `res` directly after
 * its synchronous handler returns.
 *
 * Invariants:
 * - `res.onAborted` is registered exactly once per Exchange, inside the synchronous handler and
 *   before any async work: by `exchange()`, or — in a guarded app (guard.ts) — when the handler
 *   returns with the response still open (one answered synchronously needs none). Later
 *   listeners fan out from it (uWS keeps one handler).
 * - `open` is true until the client aborted or a response was ended; every helper checks it and
 *   does nothing on a closed exchange, so `res` is never touched after abort/end.
 * - every write is corked: inside a guarded synchronous handler uWS has corked the response
 *   already (written directly), outside it `res.cork` is the rule; the status is written before
 *   any header.
 * - `onClose` listeners run exactly once, whether the exchange ended, failed or was aborted —
 *   the place to release a limiter token or a file descriptor.
 */
import type { HttpResponse } from 'uWebSockets.js';
import { ERROR_CODES, type ErrorKind, HttpError } from './errors.js';
import { attachExchange } from './guard.js';
import { inSyncHandler } from './request.js';
import { JSON_HEADERS, WireHeaders, wireStatus } from './wire.js';

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  204: '204 No Content',
  206: '206 Partial Content',
  302: '302 Found',
  304: '304 Not Modified',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  412: '412 Precondition Failed',
  413: '413 Content Too Large',
  415: '415 Unsupported Media Type',
  416: '416 Range Not Satisfiable',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Unavailable',
  507: '507 Insufficient Storage',
};

/** "404 Not Found" for 404; uWS wants the whole status line text. */
export function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? `${status} Status ${status}`;
}

const STATUS_WIRE = new Map<number, ArrayBuffer>();

/** statusLine(status), encoded once (wire.ts): what the Exchange writes. */
export function statusWire(status: number): ArrayBuffer {
  let w = STATUS_WIRE.get(status);
  if (w === undefined) STATUS_WIRE.set(status, (w = wireStatus(statusLine(status))));
  return w;
}

export type Headers = Readonly<Record<string, string>>;

/** The status line and headers: a fixed set rides in the status line's one call (wire.ts). */
function writeHead(res: HttpResponse, status: number, headers: Headers | WireHeaders): void {
  if (headers instanceof WireHeaders) {
    res.writeStatus(headers.head(status, statusLine));
    return;
  }
  res.writeStatus(statusWire(status));
  for (const k in headers) res.writeHeader(k, headers[k]!);
}

/**
 * Ends a bodiless response that reports `length` (HEAD). In this uWS build
 * `endWithoutBody(length)` writes the header but never marks the response done (its write offset
 * stays below the reported size): the process dies if that happens in a synchronous handler, and
 * keep-alive stalls otherwise. So the header is written by hand and the response ended empty.
 * (HEAD requests carry no body, so there is never a reason to drop the connection here.)
 */
export function endWithLength(res: HttpResponse, length: number): void {
  res.writeHeader('Content-Length', String(length));
  // No arguments at all: an explicit `undefined` length is read as a number by the addon.
  res.endWithoutBody();
}

export class Exchange {
  readonly res: HttpResponse;
  /** A HEAD request: bodies are withheld (uWS would send them), their length still reported. */
  readonly head: boolean;
  #aborted = false;
  #ended = false;
  #paused = false;
  #armed = false;
  /** The first close listener (most exchanges have one: the admission's release), then more. */
  #onClose: ((aborted: boolean) => void) | undefined = undefined;
  #moreOnClose: Array<(aborted: boolean) => void> | undefined = undefined;

  constructor(res: HttpResponse, head = false) {
    this.res = res;
    this.head = head;
    if (!attachExchange(this)) this.armAbort();
  }

  /** Registers the abort handler (once; not on a closed exchange). The guard calls it late. */
  armAbort(): void {
    if (this.#armed || !this.open) return;
    this.#armed = true;
    this.res.onAborted(() => {
      this.#aborted = true;
      this.#settle();
    });
  }

  /** The client is still there and no response was ended. */
  get open(): boolean {
    return !this.#aborted && !this.#ended;
  }
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Runs `fn(aborted)` once when the exchange closes (at once if it already has). */
  onClose(fn: (aborted: boolean) => void): void {
    if (!this.open) fn(this.#aborted);
    else if (this.#onClose === undefined) this.#onClose = fn;
    else (this.#moreOnClose ??= []).push(fn);
  }

  /**
   * Marks the exchange ended without writing (the caller ended `res` itself, e.g. tryEnd
   * reported hasResponded). Runs the close listeners.
   */
  markEnded(): void {
    if (!this.open) return;
    this.#ended = true;
    this.#settle();
  }

  /** Runs `fn` corked if the exchange is open; returns whether it ran. */
  cork(fn: (res: HttpResponse) => void): boolean {
    if (!this.open) return false;
    if (inSyncHandler(this.res)) fn(this.res);
    else this.res.cork(() => fn(this.res));
    return true;
  }

  /**
   * Stops reading the request body (backpressure). Answering resumes the socket first: a
   * response ended on a paused socket leaves the keep-alive connection unread, so the client's
   * next request stalls until uWS's idle timeout resets it.
   */
  pause(): void {
    if (!this.open || this.#paused) return;
    this.#paused = true;
    this.res.pause();
  }

  resume(): void {
    if (!this.open || !this.#paused) return;
    this.#paused = false;
    this.res.resume();
  }

  /**
   * Restarts uWS's idle timeout (10 s, fixed in the addon) because body bytes just arrived: uWS
   * arms it once for the request and does not re-arm it on body data, so a client trickling an
   * upload at a few KB/s was cut after 10 s. `resume()` re-arms it (and `pause()` disarms it), so
   * a pause/resume pair is the only handle this build offers. A paused exchange is left paused.
   */
  bodyProgress(): void {
    if (!this.open || this.#paused) return;
    this.res.pause();
    this.res.resume();
  }

  /** Ends with a body (string or bytes). `close` drops the connection after it (unread body). */
  send(
    status: number,
    body: string | Uint8Array | ArrayBuffer = '',
    headers: Headers | WireHeaders = {},
    close = false,
  ): boolean {
    if (!this.open) return false;
    if (inSyncHandler(this.res)) this.#send(status, body, headers, close);
    else this.res.cork(() => this.#send(status, body, headers, close));
    this.markEnded();
    return true;
  }

  #send(
    status: number,
    body: string | Uint8Array | ArrayBuffer,
    headers: Headers | WireHeaders,
    close: boolean,
  ): void {
    const res = this.res;
    this.resume();
    writeHead(res, status, headers);
    if (this.head)
      endWithLength(res, typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    else res.end(body, close);
  }

  /** Ends with headers only (HEAD, 304); `contentLength` is reported but no body is sent. */
  sendHeadersOnly(status: number, headers: Headers | WireHeaders, contentLength?: number): boolean {
    const ran = this.cork((res) => {
      this.resume();
      writeHead(res, status, headers);
      if (contentLength === undefined) res.endWithoutBody();
      else endWithLength(res, contentLength);
    });
    if (ran) this.markEnded();
    return ran;
  }

  json(status: number, body: unknown, headers: Headers = {}): boolean {
    return this.send(status, JSON.stringify(body), {
      'Content-Type': 'application/json',
      ...headers,
    });
  }

  text(status: number, body: string, headers: Headers = {}): boolean {
    return this.send(status, body, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  }

  /** The api's JSON error body; a non-HttpError becomes 500 004 without leaking its message. */
  error(err: HttpError | ErrorKind | unknown, message?: string, close = false): boolean {
    const e =
      err instanceof HttpError
        ? err
        : typeof err === 'string' && err in ERROR_CODES
          ? new HttpError(err as ErrorKind, message)
          : new HttpError('internal');
    return this.send(e.status, JSON.stringify(e.toJSON()), JSON_HEADERS, close);
  }

  /** Drops the connection (e.g. a read error after the headers went out). */
  close(): void {
    if (!this.open) return;
    this.#ended = true;
    // res.close() runs onAborted synchronously; #ended is already set so it only settles once.
    this.res.close();
    this.#settle();
  }

  #settle(): void {
    const first = this.#onClose;
    const more = this.#moreOnClose;
    this.#onClose = undefined;
    this.#moreOnClose = undefined;
    first?.(this.#aborted);
    if (more !== undefined) for (const fn of more) fn(this.#aborted);
  }
}

/**
 * Wraps `res` — call it in the synchronous handler before the first await.
 * @param head true for a HEAD request (`req.getMethod() === 'head'`): bodies are not sent
 */
export function exchange(res: HttpResponse, head = false): Exchange {
  return new Exchange(res, head);
}
