/** Sessions: created on register/login, looked up per request, revoked on logout. */
import { randomUUID } from 'node:crypto';
import type { Session, User } from '../../store/types.js';
import { foldUserName } from '../../store/user-name.js';
import { HttpError } from '../common/errors.js';
import { sessionFrom } from '../common/session.js';
import type { ServiceContext } from '../context.js';

export async function createSession(ctx: ServiceContext, user: User): Promise<Session> {
  const now = (ctx.now ?? Date.now)();
  const session: Session = {
    id: randomUUID(),
    userId: user.id,
    userName: user.name,
    // Sliding from here (common/session.ts); the cookie lives SESSION_MAX_MS, the server decides.
    expiresAt: now + ctx.config.sessionTtlMs,
    createdAt: now,
  };
  await ctx.records.createSession(session);
  return session;
}

/** The caller's session from `X-Session-Id`, or 401 `002` (missing, malformed, expired, revoked). */
export async function lookupSession(
  ctx: ServiceContext,
  sessionId: string | undefined,
): Promise<Session> {
  const session = await sessionFrom(ctx, sessionId);
  if (!session) throw new HttpError('unauthorized');
  return session;
}

/** The `:username` of the URL must be the session's user, in any case (403 `006`). */
export function requireSelf(session: Session, userName: string): void {
  if (foldUserName(session.userName) !== foldUserName(userName))
    throw new HttpError('forbidden', 'You can only act as yourself');
}

/** A body's `author_id` must be the session's user id (403 `006`). */
export function requireAuthor(session: Session, authorId: unknown): void {
  if (typeof authorId !== 'string') throw new HttpError('badRequest', 'author_id must be a string');
  if (authorId !== session.userId) {
    throw new HttpError('forbidden', 'author_id must be your own user id');
  }
}
