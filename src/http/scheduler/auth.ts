/**
 * Who may talk to the scheduler service: whoever presents SCHEDULER_TOKEN as
 * `Authorization: Bearer <token>`, always — on loopback too, since anything on the host (another
 * user's process, a browser page via DNS rebinding) can reach loopback. There is no tokenless mode:
 * `loadConfig` generates a token when the api that calls the scheduler runs in the same process,
 * and requires one otherwise. Comparison is constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { ConfigError } from '../../config.js';

export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h.startsWith('::ffff:127.');
}

/** Returns a check for the Authorization header value; throws (ConfigError) without a token. */
export function bearerCheck(token: string | undefined): (header: string) => boolean {
  if (token === undefined || token === '') {
    throw new ConfigError(
      'SCHEDULER_TOKEN',
      'the scheduler service needs a token (none was set or generated)',
    );
  }
  // Hash both sides so timingSafeEqual compares equal lengths and leaks nothing about the length.
  const want = createHash('sha256').update(token).digest();
  return (header) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return false;
    return timingSafeEqual(createHash('sha256').update(m[1]!).digest(), want);
  };
}
