/**
 * Who may talk to the scheduler service. Loopback-bound without a token: anyone on this host
 * (the seed's behaviour, kept local). Any other bind address needs SCHEDULER_TOKEN, and the
 * service refuses to start without one. A configured token is always required, on loopback too,
 * as `Authorization: Bearer <token>`; comparison is constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { SchedulerExposedError } from '../../scheduler/errors.js';

export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h.startsWith('::ffff:127.');
}

/** Returns a check for the Authorization header value; throws if exposed without a token. */
export function bearerCheck(host: string, token: string | undefined): (header: string) => boolean {
  if (token === undefined || token === '') {
    if (!isLoopback(host)) throw new SchedulerExposedError(host);
    return () => true;
  }
  // Hash both sides so timingSafeEqual compares equal lengths and leaks nothing about the length.
  const want = createHash('sha256').update(token).digest();
  return (header) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return false;
    return timingSafeEqual(createHash('sha256').update(m[1]!).digest(), want);
  };
}
