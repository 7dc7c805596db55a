/**
 * uWS ↔ the WHATWG Request/Response that @tus/server's `handleWeb` speaks.
 *
 * Invariants:
 * - headers, method and URL are copied in the synchronous handler (uWS HttpRequest is
 *   stack-bound); `onAborted` is registered first (by `exchange`) and the body handler before any
 *   await, so no byte is dropped;
 * - the body is a ReadableStream with a byte high-water mark: each uWS chunk is copied (uWS
 *   reuses its memory) and enqueued; when the queue is full the socket is paused, and `pull`
 *   (the consumer, i.e. tus writing to its store, wants more) resumes it — memory per upload
 *   stays around HIGH_WATER whatever the chunk size;
 * - a client that goes away ends the stream early (close, not error: an errored stream would
 *   discard the chunks still queued), so the store keeps every byte that arrived and a later
 *   HEAD reports that offset (the point of resumable uploads);
 * - the answer is written once, corked, only while the exchange is open; while tus finishes an
 *   upload after the last byte (copy, probe) the socket is paused, which disarms uWS's fixed
 *   10 s idle timeout (see Exchange.bodyProgress).
 */
import type { HttpRequest } from 'uWebSockets.js';
import type { Exchange } from '../../common/respond.js';

const HIGH_WATER = 1024 * 1024;

/** Everything needed from the uWS request, copied before anything async. */
export interface CopiedRequest {
  method: string;
  url: string;
  headers: Headers;
}

export function copyRequest(req: HttpRequest, origin = 'http://localhost'): CopiedRequest {
  const headers = new Headers();
  req.forEach((k, v) => {
    headers.append(k, v);
  });
  const q = req.getQuery();
  return {
    method: req.getCaseSensitiveMethod().toUpperCase(),
    url: `${origin}${req.getUrl()}${q ? `?${q}` : ''}`,
    headers,
  };
}

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

/** The web Request for `copied`, its body streamed from `x.res` with backpressure. */
export function toWebRequest(x: Exchange, copied: CopiedRequest): Request {
  if (BODYLESS.has(copied.method)) {
    // uWS wants a data handler even for requests it expects no body on.
    x.res.onData(() => {});
    return new Request(copied.url, { method: copied.method, headers: copied.headers });
  }
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let done = false;
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        x.resume();
      },
      cancel() {
        done = true;
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER }),
  );
  x.res.onData((ab, isLast) => {
    if (done) return;
    if (ab.byteLength > 0) controller.enqueue(new Uint8Array(ab.slice(0)));
    if (isLast) {
      done = true;
      controller.close();
      x.pause(); // the finishing work may outlast uWS's idle timeout: disarm it
      return;
    }
    x.bodyProgress();
    if ((controller.desiredSize ?? 1) <= 0) x.pause();
  });
  x.onClose((aborted) => {
    if (aborted && !done) {
      done = true;
      controller.close();
    }
  });
  return new Request(copied.url, {
    method: copied.method,
    headers: copied.headers,
    body,
    duplex: 'half',
  } as RequestInit);
}

/** Writes a web Response (tus answers are small) to the exchange. */
export async function sendWebResponse(x: Exchange, response: Response): Promise<void> {
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  const headers: Record<string, string> = {};
  let close = false;
  response.headers.forEach((v, k) => {
    if (k === 'content-length') return; // uWS adds it
    if (k === 'connection') close = v.toLowerCase() === 'close';
    else headers[k] = v;
  });
  // Only HEAD, 204 and 304 go without a length; a bodiless 201 needs Content-Length: 0, or the
  // client waits for a body until the connection closes.
  if (x.head || response.status === 204 || response.status === 304) {
    x.sendHeadersOnly(response.status, headers);
  } else x.send(response.status, body ?? '', headers, close);
}
