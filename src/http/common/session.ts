/**
 * Resolving the `X-Session-Id` header (or the web's cookie value) to a live session, and sliding
 * its expiry: each use moves `expiresAt` to now + SESSION_TTL_MS, never past
 * createdAt + SESSION_MAX_MS. The renewal is written at most once per RENEW_STEP of movement (a
 * busy page must not cost a store write per request), in the background: a failed renewal is
 * logged and the request goes on with the session as it was.
 */
import { currentRequest } from '../../log.js';
import type { Session } from '../../store/types.js';
import type { ServiceContext } from '../context.js';
import { isUuid } from './ids.js';

/** Smallest move of `expiresAt` worth a write (capped at a tenth of the idle lifetime). */
const RENEW_STEP_MS = 60_000;

type SessionCtx = Pick<ServiceContext, 'records' | 'now'> & {
  config: Pick<ServiceContext['config'], 'sessionTtlMs' | 'sessionMaxMs'>;
  log?: ServiceContext['log'];
};

/** The expiry a session used at `now` should have (createdAt unknown: its first expiry − TTL). */
export function slidExpiry(s: Session, now: number, ttlMs: number, maxMs: number): number {
  const created = s.createdAt ?? s.expiresAt - ttlMs;
  return Math.max(s.expiresAt, Math.min(now + ttlMs, created + maxMs));
}

/**
 * The live session named by `headerValue`, or undefined when it is absent, not a UUID, unknown or
 * expired (→ 401). A store failure rejects (→ 500).
 */
export async function sessionFrom(
  ctx: SessionCtx,
  headerValue: string | undefined,
): Promise<Session | undefined> {
  if (!headerValue || !isUuid(headerValue)) return undefined;
  const now = (ctx.now ?? Date.now)();
  const s = await ctx.records.getSession(headerValue.toLowerCase(), now);
  if (!s) return undefined;
  // The access log names the user a request acted as.
  const request = currentRequest();
  if (request) request.user = s.userId;
  const { sessionTtlMs: ttl, sessionMaxMs: max } = ctx.config;
  const next = slidExpiry(s, now, ttl, max);
  const capped = next === (s.createdAt ?? s.expiresAt - ttl) + max;
  if (next > s.expiresAt && (capped || next - s.expiresAt >= Math.min(RENEW_STEP_MS, ttl / 10))) {
    ctx.records.extendSession(s.id, next).catch((err: unknown) => {
      ctx.log?.warn('session renewal failed', { err });
    });
    return { ...s, expiresAt: next };
  }
  return s;
}
