/**
 * Reading a whole request body with a byte cap, for JSON endpoints (api, web, scheduler).
 *
 * uWS delivers the body through `res.onData`, which must be registered in the synchronous handler
 * (data arriving before it is dropped), and neuters each chunk's ArrayBuffer when the callback
 * returns — so chunks are copied. Call `readBody` before the first await:
 *
 * ```ts
 * app.post('/user', (res, req) => {
 *   const x = exchange(res);                       // onAborted first
 *   const len = req.getHeader('content-length');   // headers copied before any await
 *   readBody(x, { maxBytes: 64 * 1024, contentLength: len })
 *     .then((buf) => parseJson(buf))
 *     .then((body) => …, (err) => x.error(err));   // HttpError 413/400 → its JSON body
 * });
 * ```
 *
 * Over the cap (by Content-Length up front, or by counting) the promise rejects with
 * HttpError('tooLarge') (413, "008"); the caller should answer with `x.error(err, undefined, true)`
 * to close the connection since the rest of the body is unread. A client that goes away rejects with
 * ClientAbortedError; `x.error` is then a no-op.
 */
import { ClientAbortedError, HttpError } from './errors.js';
import type { Exchange } from './respond.js';

export interface ReadBodyOptions {
  /** Largest accepted body. @default 1 MiB */
  maxBytes?: number;
  /** The request's Content-Length header as copied from `req` ('' when absent). */
  contentLength?: string;
}

export const READ_BODY_DEFAULTS = Object.freeze({ maxBytes: 1024 * 1024 });

export function readBody(x: Exchange, options: ReadBodyOptions = {}): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? READ_BODY_DEFAULTS.maxBytes;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    return Promise.reject(new TypeError('options.maxBytes must be a non-negative integer'));
  }
  const declared = options.contentLength ? Number(options.contentLength) : Number.NaN;
  return new Promise<Buffer>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    x.onClose((aborted) => {
      if (aborted) fail(new ClientAbortedError());
    });
    // Register onData even when rejecting early: uWS needs a handler to drain the socket.
    const chunks: Buffer[] = [];
    let total = 0;
    x.res.onData((ab, isLast) => {
      if (settled) return;
      if (!isLast) x.bodyProgress(); // a slow client is not idle while its bytes arrive
      total += ab.byteLength;
      if (total > maxBytes) {
        fail(new HttpError('tooLarge'));
        return;
      }
      // Copy: uWS neuters `ab` when this callback returns.
      if (ab.byteLength > 0) chunks.push(Buffer.from(new Uint8Array(ab)));
      if (isLast) {
        settled = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
      }
    });
    if (declared > maxBytes) fail(new HttpError('tooLarge'));
  });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The one parser of JSON request bodies (the api's handler, the web's relay, readBody callers):
 * the body must be UTF-8 JSON text holding an object. Not UTF-8 or not JSON → 400 "001" "Request
 * body is not valid JSON"; any other JSON value (array, string, null…) → 400 "001" with
 * `notObject` as the message, so each caller can say which object it wanted.
 */
export function parseJson<T extends object = Record<string, unknown>>(
  body: Uint8Array,
  notObject = 'Request body must be a JSON object',
): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(body));
  } catch {
    throw new HttpError('badRequest', 'Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError('badRequest', notObject);
  }
  return parsed as T;
}
