/**
 * Who is on the other end: the client address for per-address throttles, and whether the peer is
 * a proxy whose X-Forwarded-* headers we believe (TRUST_PROXY).
 *
 * By default nothing forwarded is believed: the address is the socket's peer (uWS
 * `getRemoteAddressAsText`), which a client cannot forge. With TRUST_PROXY listing the proxy
 * (`loopback` for an nginx on the same host, or its addresses), X-Forwarded-For is walked from
 * the right, skipping trusted hops, and the first untrusted address is the client: a client can
 * prepend anything to the header, but never append after what our proxy wrote.
 *
 * Call these in the synchronous part of a uWS handler (they read `res`/`req`).
 */

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { isIP } from 'node:net';

/** `::ffff:1.2.3.4` → `1.2.3.4`; lower-case; brackets and zone ids removed. */
export function normalizeAddress(addr: string): string {
  const a = addr
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return v4 ? v4[1]! : a.replace(/%.*$/, '');
}

function isLoopbackAddress(a: string): boolean {
  return a === '::1' || (isIP(a) === 4 && a.startsWith('127.'));
}

/** Whether `addr` is one of TRUST_PROXY's entries (`loopback` covers 127.0.0.0/8 and ::1). */
export function isTrustedProxy(addr: string, trust: readonly string[]): boolean {
  if (trust.length === 0) return false;
  const a = normalizeAddress(addr);
  return trust.some((t) => (t === 'loopback' ? isLoopbackAddress(a) : t === a));
}

/** The socket's peer address as text. */
export function peerAddress(res: HttpResponse): string {
  return normalizeAddress(Buffer.from(res.getRemoteAddressAsText()).toString('latin1'));
}

/** The client address from the peer and an X-Forwarded-For value (used only behind a trusted peer). */
export function resolveClientAddress(
  peer: string,
  forwardedFor: string,
  trust: readonly string[],
): string {
  let client = normalizeAddress(peer);
  if (!isTrustedProxy(client, trust)) return client;
  const hops = forwardedFor
    .split(',')
    .map((h) => normalizeAddress(h))
    .filter((h) => isIP(h) !== 0);
  while (hops.length > 0) {
    client = hops.pop()!;
    if (!isTrustedProxy(client, trust)) break;
  }
  return client;
}

/** The request's client address (see the module comment). */
export function clientAddressOf(
  res: HttpResponse,
  req: HttpRequest,
  trust: readonly string[],
): string {
  return resolveClientAddress(peerAddress(res), req.getHeader('x-forwarded-for'), trust);
}
