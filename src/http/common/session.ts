/** Resolving the `X-Session-Id` header (or the web's cookie value) to a live session. */
import { currentRequest } from '../../log.js';
import type { Session } from '../../store/types.js';
import type { ServiceContext } from '../context.js';
import { isUuid } from './ids.js';

/**
 * The live session named by `headerValue`, or undefined when it is absent, not a UUID, unknown or
 * expired (→ 401). A store failure rejects (→ 500).
 */
export async function sessionFrom(
  ctx: Pick<ServiceContext, 'records'>,
  headerValue: string | undefined,
): Promise<Session | undefined> {
  if (!headerValue || !isUuid(headerValue)) return undefined;
  const session = await ctx.records.getSession(headerValue.toLowerCase(), Date.now());
  // The access log names the user a request acted as.
  const request = currentRequest();
  if (session && request) request.user = session.userId;
  return session;
}
