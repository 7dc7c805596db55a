/**
 * Request framing checks the uWS parser leaves to us (issue 10, item 11). This build accepts a
 * request with two differing `Content-Length` headers, reads any `Transfer-Encoding` as chunked,
 * and takes `Content-Length` together with `Transfer-Encoding` — the ingredients of request
 * smuggling behind a proxy that frames the message differently. Every guarded handler runs
 * `framingProblem(req)` first (it iterates the raw header list with `req.forEach`, so repeated
 * headers are seen one by one) and answers 400 and closes the connection on a problem:
 *   - more than one `Content-Length`, or one that is not a plain decimal number;
 *   - `Transfer-Encoding` other than exactly one `chunked`;
 *   - both `Content-Length` and `Transfer-Encoding`.
 * What the app never sees (uWS answers or drops before any handler): HTTP/1.0 requests (no
 * answer), more than 48 headers (hangs), `Content-Length` ≥ 10^9 (reset) — see the README; the
 * supported production front is nginx (`deploy/nginx.conf`), which normalises all of these.
 */
import type { HttpRequest } from 'uWebSockets.js';

/** The reason a request's framing is refused, or undefined when it is sound. */
export function framingProblem(req: HttpRequest): string | undefined {
  let lengths = 0;
  let length = '';
  let encodings = 0;
  let encoding = '';
  req.forEach((key, value) => {
    if (key === 'content-length') {
      lengths++;
      length = value;
    } else if (key === 'transfer-encoding') {
      encodings++;
      encoding = value;
    }
  });
  if (lengths > 1) return 'More than one Content-Length header';
  if (lengths === 1 && !/^\d{1,15}$/.test(length.trim())) return 'Malformed Content-Length';
  if (encodings > 1) return 'More than one Transfer-Encoding header';
  if (encodings === 1 && encoding.trim().toLowerCase() !== 'chunked') {
    return 'Unsupported Transfer-Encoding (only chunked)';
  }
  if (lengths === 1 && encodings === 1) return 'Both Content-Length and Transfer-Encoding';
  return undefined;
}
