/**
 * Input rules for the api, each failing with a 400 (`001`) that names the field. The charset
 * of user names is deliberately narrow (no dots, slashes or percent signs) so a name is always
 * one safe URL path segment.
 */
import { HttpError } from '../common/errors.js';
import { parseUuid } from '../common/ids.js';

export const LIMITS = Object.freeze({
  userName: { min: 3, max: 32 },
  password: { min: 8, max: 128 },
  videoName: { min: 1, max: 120 },
  comment: { min: 1, max: 2000 },
  description: { min: 0, max: 5000 },
});

const VISIBILITY = ['public', 'unlisted', 'private'] as const;

/** `public`, `unlisted` or `private`. */
export function visibility(obj: Record<string, unknown>, field = 'visibility') {
  const v = obj[field];
  if (typeof v !== 'string' || !(VISIBILITY as readonly string[]).includes(v)) {
    throw new HttpError('badRequest', `${field} must be one of ${VISIBILITY.join(', ')}`);
  }
  return v as (typeof VISIBILITY)[number];
}

const USER_NAME = /^[A-Za-z0-9_-]+$/;
// C0/C1 control characters other than tab and newline.
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is exactly what it matches
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** A body must be a JSON object; returns it typed as a record of unknowns. */
export function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError('badRequest', 'Request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

// A surrogate code unit that is not half of a pair: JSON can carry it (`"\ud800"`), UTF-8 cannot.
const LONE_SURROGATE = /\p{Cs}/u;

/** A string field; invalid UTF-16 (a lone surrogate) is refused like any other bad input. */
function str(obj: Record<string, unknown>, field: string): string {
  const v = obj[field];
  if (typeof v !== 'string') throw new HttpError('badRequest', `${field} must be a string`);
  if (LONE_SURROGATE.test(v)) {
    throw new HttpError('badRequest', `${field} is not valid Unicode (a lone surrogate)`);
  }
  return v;
}

export function userName(obj: Record<string, unknown>, field = 'user_name'): string {
  const v = str(obj, field);
  const { min, max } = LIMITS.userName;
  if (v.length < min || v.length > max || !USER_NAME.test(v)) {
    throw new HttpError(
      'badRequest',
      `${field} must be ${min}–${max} characters of letters, digits, _ or -`,
    );
  }
  return v;
}

/** A user name `userName` accepts, folded (foldUserName): its ASCII letters in lower case. */
const ACCOUNT_KEY = /^[a-z0-9_-]+$/;

/**
 * True when `key` is an account key the api makes (the sign-in throttle's key: foldUserName of a
 * name `userName` accepts). The HTTP host checks each key a thread relays against it
 * (host-thread.ts relaySignIn): a buggy or compromised thread cannot make it broadcast anything
 * else to the other threads.
 */
export function isAccountKey(key: unknown): key is string {
  const { min, max } = LIMITS.userName;
  return typeof key === 'string' && key.length >= min && key.length <= max && ACCOUNT_KEY.test(key);
}

/**
 * A new password, NFC-normalized so that the same characters typed on another keyboard or system
 * (precomposed "é" or "e" + combining accent) give the same hash. Length counts after that.
 */
export function password(obj: Record<string, unknown>): string {
  const v = str(obj, 'pwd').normalize('NFC');
  const { min, max } = LIMITS.password;
  if (v.length < min || v.length > max) {
    throw new HttpError('badRequest', `pwd must be ${min}–${max} characters`);
  }
  return v;
}

/**
 * The password of a sign-in: normalized like a new one; no length rule (a wrong length is simply
 * a wrong password), but at most what a body can carry.
 */
export function signInPassword(obj: Record<string, unknown>): string {
  return str(obj, 'pwd').normalize('NFC');
}

/** Free text: trimmed, length-checked, no control characters except tab and newline. */
export function text(
  obj: Record<string, unknown>,
  field: string,
  limits: { min: number; max: number },
): string {
  const v = str(obj, field).trim();
  if (v.length < limits.min || v.length > limits.max || CONTROL.test(v)) {
    throw new HttpError(
      'badRequest',
      `${field} must be ${limits.min}–${limits.max} characters of printable text`,
    );
  }
  return v;
}

export function uuidParam(value: string, what: string): string {
  const id = parseUuid(value);
  if (!id) throw new HttpError('badRequest', `${what} must be a UUID`);
  return id;
}
