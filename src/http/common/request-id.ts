/**
 * Request ids: an incoming `X-Request-Id` is kept when it is a safe token (so a front proxy's id
 * ties its logs to ours), otherwise a fresh one is made. Safe = 1–128 characters of
 * `A–Z a–z 0–9 . _ : -`: nothing that could break a header, a log line or a URL.
 */
import { randomBytes } from 'node:crypto';
import { currentRequest } from '../../log.js';

export const REQUEST_ID_HEADER = 'x-request-id';

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

export function isSafeRequestId(value: string): boolean {
  return SAFE.test(value);
}

/**
 * Generated ids are UUID-shaped (8-4-4-4-12 hex): 80 random bits drawn once per thread, then a
 * per-thread counter. Unique across threads and processes (the random part) without drawing
 * randomness per request (randomUUID measured ~0.3–0.45 µs, a few percent of a 404); an id is a
 * correlation key, not a secret.
 */
const PREFIX = randomBytes(10)
  .toString('hex')
  .replace(/^(.{8})(.{4})(.{4})(.{4})$/, '$1-$2-$3-$4-');
/** The counter's last three hex digits, made once: an id is then one concatenation. */
const LOW = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));
let counter = 0;
/** PREFIX and the counter's upper 9 hex digits, remade every 4096 ids. */
let high = '';

/** The id to use for a request whose `X-Request-Id` header is `given` ('' when absent). */
export function requestId(given: string): string {
  if (given !== '' && SAFE.test(given)) return given;
  counter = (counter + 1) % 2 ** 48;
  const low = counter % 4096;
  if (low === 0 || high === '') {
    high =
      PREFIX +
      Math.floor(counter / 4096)
        .toString(16)
        .padStart(9, '0');
  }
  return high + LOW[low]!;
}

/**
 * Adds the current request's id to the headers of a call to another service, so that service
 * logs under the same id (api → scheduler, web → api, web → stream).
 */
export function forwardRequestId(headers: Record<string, string>): Record<string, string> {
  const r = currentRequest();
  if (r?.reqId) headers[REQUEST_ID_HEADER] = r.reqId;
  return headers;
}
