/**
 * Argument checks shared by every adapter, so both reject the same input with the same code.
 * Ids become LMDB keys, file names and GridFS file names: a UUID check here is defence in depth
 * (the HTTP layer validates first).
 */
import { InvalidArgumentError, InvalidIdError } from './errors.js';
import type { Comment, NewVideo, RateLimiterSpec, Session, User } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The last string this thread found to be a UUID (strings are immutable: it stays one). */
let lastUuid = '';

/**
 * True for a canonical 8-4-4-4-12 hex UUID (any version, either case). The HTTP layer checks a
 * request's id and the store checks it again (defence in depth): the second check of the same
 * string is a comparison, not a second regex run per request.
 */
export function isUuid(value: string): boolean {
  if (value === lastUuid) return true;
  if (value.length !== 36 || !UUID.test(value)) return false;
  lastUuid = value;
  return true;
}

/** 36 characters of 8-4-4-4-12 lower-case hex (by character codes: per request, no regex call). */
function isLowerUuid36(s: string): boolean {
  for (let i = 0; i < 36; i++) {
    const c = s.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * The UUID in lower case (the form ids are stored under), or undefined when `value` is not one.
 * A lower-case id (every link and API answer) costs one regex test and no copy.
 */
export function lowerUuid(value: string): string | undefined {
  if (value.length !== 36) return undefined;
  if (isLowerUuid36(value)) return (lastUuid = value);
  if (!UUID.test(value)) return undefined;
  return (lastUuid = value.toLowerCase());
}

/**
 * Limits of what a store accepts. A user name is an index key: LMDB keys are at most 1978 bytes,
 * so names are capped well below (the API caps them much lower anyway).
 */
export const STORE_LIMITS = Object.freeze({
  /** UTF-8 bytes of a user or video name. */
  nameBytes: 1024,
  /** Characters of a video description (plain text). */
  descriptionChars: 5000,
  /** UTF-8 bytes of a comment (MongoDB documents stop at 16 MiB). */
  contentBytes: 1024 * 1024,
  /** UTF-8 bytes of an error recorded on a failed deletion (longer ones are truncated). */
  errorBytes: 4096,
  /** Ids in one batch call of the deletion queue (renewDeletions, completeDeletions…). */
  batchIds: 10_000,
});

export function checkId(what: string, id: unknown): string {
  if (typeof id !== 'string' || !isUuid(id)) throw new InvalidIdError(what, id);
  return id;
}

function checkText(what: string, s: unknown, maxBytes: number): void {
  if (typeof s !== 'string') throw new InvalidArgumentError(`${what} must be a string`);
  if (Buffer.byteLength(s, 'utf8') > maxBytes) {
    throw new InvalidArgumentError(`${what} exceeds ${maxBytes} UTF-8 bytes`);
  }
}

export function checkTime(what: string, t: unknown): number {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) {
    throw new InvalidArgumentError(`${what} must be a non-negative integer (epoch ms)`);
  }
  return t;
}

export function checkPositiveInt(what: string, n: unknown, max = 100_000): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new InvalidArgumentError(`${what} must be an integer between 1 and ${max}`);
  }
  return n;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** An optional request id as http/common/request-id.ts makes them (safe in a log line). */
export function checkRequestId(id: unknown): string | undefined {
  if (id === undefined) return undefined;
  if (typeof id !== 'string' || !REQUEST_ID.test(id)) {
    throw new InvalidArgumentError('requestId must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  }
  return id;
}

export function checkOwner(owner: unknown): string {
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > 256) {
    throw new InvalidArgumentError('owner must be a non-empty string of at most 256 characters');
  }
  return owner;
}

export function checkUser(u: User): void {
  checkId('user.id', u.id);
  checkText('user.name', u.name, STORE_LIMITS.nameBytes);
  if (u.name.length === 0) throw new InvalidArgumentError('user.name must not be empty');
  checkText('user.pwdHash', u.pwdHash, STORE_LIMITS.nameBytes);
  checkTime('user.createdAt', u.createdAt);
}

export function checkSession(s: Session): void {
  checkId('session.id', s.id);
  checkId('session.userId', s.userId);
  checkText('session.userName', s.userName, STORE_LIMITS.nameBytes);
  checkTime('session.expiresAt', s.expiresAt);
  if (s.createdAt !== undefined) checkTime('session.createdAt', s.createdAt);
}

export function checkVideo(v: NewVideo): void {
  checkId('video.id', v.id);
  checkId('video.authorId', v.authorId);
  checkText('video.name', v.name, STORE_LIMITS.nameBytes);
  checkTime('video.createdAt', v.createdAt);
  if (v.state !== 'active' && v.state !== 'deleting') {
    throw new InvalidArgumentError('video.state must be "active" or "deleting"');
  }
}

export function checkComment(c: Comment): void {
  checkId('comment.id', c.id);
  checkId('comment.videoId', c.videoId);
  checkId('comment.authorId', c.authorId);
  checkText('comment.authorName', c.authorName, STORE_LIMITS.nameBytes);
  checkText('comment.content', c.content, STORE_LIMITS.contentBytes);
  checkTime('comment.createdAt', c.createdAt);
}

/** Truncates on a code point boundary so a stored error is always valid UTF-8. */
export function truncateError(error: string): string {
  const s = String(error);
  if (Buffer.byteLength(s, 'utf8') <= STORE_LIMITS.errorBytes) return s;
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch, 'utf8');
    if (bytes + b > STORE_LIMITS.errorBytes - 3) break;
    out += ch;
    bytes += b;
  }
  return `${out}...`;
}

/** Longest lease a claim or renewal may ask for: a year. */
const MAX_LEASE_MS = 365 * 24 * 3600 * 1000;

/** Arguments of a lease renewal (both queue adapters). */
export function checkLease(leaseMs: unknown, now: unknown): void {
  checkPositiveInt('leaseMs', leaseMs, MAX_LEASE_MS);
  checkTime('now', now);
}

/** The ids of a batch call of the deletion queue (both adapters). */
export function checkIds(ids: unknown): readonly string[] {
  if (!Array.isArray(ids) || ids.length > STORE_LIMITS.batchIds) {
    throw new InvalidArgumentError(
      `videoIds must be an array of at most ${STORE_LIMITS.batchIds} ids`,
    );
  }
  for (const id of ids) checkId('video id', id);
  return ids;
}

/** Arguments of a batch call held by `owner` (both queue adapters); with a lease for renewals. */
export function checkHeldBatch(
  owner: unknown,
  ids: unknown,
  lease?: { leaseMs: unknown; now: unknown },
): void {
  checkIds(ids);
  checkOwner(owner);
  if (lease) checkLease(lease.leaseMs, lease.now);
}

/** Arguments of a claim (both queue adapters). */
export function checkClaim(owner: unknown, limit: unknown, leaseMs: unknown, now: unknown): void {
  checkOwner(owner);
  checkPositiveInt('limit', limit);
  checkLease(leaseMs, now);
}

/** A throttle's spec: a short prefix of safe characters, positive integers. */
export function checkRateLimiterSpec(s: RateLimiterSpec): void {
  if (typeof s?.keyPrefix !== 'string' || !/^[a-z0-9-]{1,64}$/.test(s.keyPrefix)) {
    throw new InvalidArgumentError('spec.keyPrefix must be 1–64 characters of a-z, 0-9 or -');
  }
  checkPositiveInt('spec.points', s.points, 1_000_000_000);
  checkPositiveInt('spec.durationSec', s.durationSec, 365 * 86_400);
}
