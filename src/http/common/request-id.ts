/**
 * Request ids: an incoming `X-Request-Id` is kept when it is a safe token (so a front proxy's id
 * ties its logs to ours), otherwise a fresh one is made. Safe = 1–128 characters of
 * `A–Z a–z 0–9 . _ : -`: nothing that could break a header, a log line or a URL.
 */
import { randomUUID } from 'node:crypto';
import { currentRequest } from '../../log.js';

export const REQUEST_ID_HEADER = 'x-request-id';

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

export function isSafeRequestId(value: string): boolean {
  return SAFE.test(value);
}

/** The id to use for a request whose `X-Request-Id` header is `given` ('' when absent). */
export function requestId(given: string): string {
  return given !== '' && SAFE.test(given) ? given : randomUUID();
}

/**
 * Adds the current request's id to the headers of a call to another service, so that service
 * logs under the same id (api → scheduler, web → api, web → stream).
 */
export function forwardRequestId(headers: Record<string, string>): Record<string, string> {
  const r = currentRequest();
  if (r) headers[REQUEST_ID_HEADER] = r.reqId;
  return headers;
}
