/** Users and sessions: register, login, who-am-I, logout. */
import { randomUUID } from 'node:crypto';
import type { User } from '../../store/types.js';
import { foldUserName } from '../../store/user-name.js';
import { HttpError } from '../common/errors.js';
import { usageOf } from '../common/usage.js';
import { createSession, requireSelf } from './auth.js';
import { decoyHash, hashPassword, verifyPassword } from './password.js';
import { throttlesOf } from './throttle.js';
import type { ApiHandler } from './types.js';
import * as v from './validate.js';

/** POST /user `{user_name, pwd}` → 201 `{success, session_id}`; 409 if the name is taken in any case. */
export const register: ApiHandler = async (call) => {
  const body = call.json();
  const name = v.userName(body);
  const pwd = v.password(body);
  await throttlesOf(call.ctx).signUp(call.req.clientAddress);
  if (await call.ctx.records.getUserByName(name))
    throw new HttpError('conflict', 'User name is already taken');
  const user: User = {
    id: randomUUID(),
    name,
    pwdHash: await hashPassword(pwd),
    createdAt: Date.now(),
  };
  try {
    await call.ctx.records.createUser(user);
  } catch (err) {
    // Two registrations racing for one name: the store's unique index decides.
    if ((err as { code?: string }).code === 'ERR_DUPLICATE')
      throw new HttpError('conflict', 'User name is already taken');
    throw err;
  }
  const session = await createSession(call.ctx, user);
  return { status: 201, value: { success: true, session_id: session.id } };
};

/**
 * The stored hash matches `pwd` (NFC). Hashes made before passwords were normalized were made
 * from the characters as typed: when the typed form differs, that one is tried too.
 */
async function passwordMatches(raw: string, nfc: string, hash: string): Promise<boolean> {
  if (await verifyPassword(nfc, hash)) return true;
  return raw !== nfc && verifyPassword(raw, hash);
}

/**
 * POST /user/:username `{user_name, pwd}` → 200 `{success, session_id}`; 401 on any mismatch.
 * Names match regardless of case; the session carries the name as registered.
 */
export const login: ApiHandler = async (call) => {
  const body = call.json();
  const name = v.userName(body);
  const pwd = v.signInPassword(body);
  if (name !== call.params.username) {
    throw new HttpError('badRequest', 'user_name must match the user in the URL');
  }
  const throttles = throttlesOf(call.ctx);
  const account = foldUserName(name);
  await throttles.signIn(account, call.req.clientAddress);
  const user = await call.ctx.records.getUserByName(name);
  // Unknown users cost one scrypt too, so timing does not reveal which names exist.
  const raw = body.pwd as string;
  const ok = await passwordMatches(raw, pwd, user?.pwdHash ?? (await decoyHash()));
  if (!user || !ok) throw new HttpError('unauthorized');
  await throttles.signedIn(account);
  const session = await createSession(call.ctx, user);
  return { status: 200, value: { success: true, session_id: session.id } };
};

/** GET /user/:username → `{id, user_name, usage_bytes, quota_bytes}`; only for yourself. */
export const getUser: ApiHandler = async (call) => {
  const session = await call.session();
  requireSelf(session, call.params.username!);
  const { ctx } = call;
  const user = await ctx.records.getUserById(session.userId);
  if (!user) throw new HttpError('notFound', 'User not found');
  const usage = await usageOf(ctx.records, ctx.blobs, user.id);
  return {
    status: 200,
    value: {
      id: user.id,
      user_name: user.name,
      usage_bytes: usage,
      quota_bytes: ctx.config.userQuotaBytes,
    },
  };
};

/** GET /session → the caller's session (ours: lets the web front check a cookie). */
export const whoami: ApiHandler = async (call) => {
  const s = await call.session();
  return {
    status: 200,
    value: { user_id: s.userId, user_name: s.userName, expires_at: s.expiresAt },
  };
};

/** DELETE /user/:username/sessions → 204; revokes the calling session server-side. */
export const logout: ApiHandler = async (call) => {
  const session = await call.session();
  requireSelf(session, call.params.username!);
  await call.ctx.records.deleteSession(session.id);
  return { status: 204 };
};
