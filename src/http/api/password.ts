/**
 * Password hashing with scrypt from node:crypto, the asynchronous form: the work runs on
 * libuv's thread pool, so the HTTP thread's event loop keeps serving while a hash is computed.
 * (The actors' piscina pool would add a message hop and a second pool competing for the same
 * two cores; libuv's pool is already there and sized for exactly this.)
 *
 * Encoded as `scrypt$N$r$p$salt$hash` (base64url), so the parameters can be raised later and
 * old hashes still verify. A per-user random salt; comparison in constant time.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const PARAMS = Object.freeze({ N: 16384, r: 8, p: 1, keyLen: 32, saltLen: 16 });

function derive(pwd: string, salt: Buffer, N: number, r: number, p: number, keyLen: number) {
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(pwd, salt, keyLen, { N, r, p, maxmem: 128 * N * r * 2 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(pwd: string): Promise<string> {
  const { N, r, p, keyLen, saltLen } = PARAMS;
  const salt = randomBytes(saltLen);
  const key = await derive(pwd, salt, N, r, p, keyLen);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** False for a wrong password or a malformed hash; never throws for bad input. */
export async function verifyPassword(pwd: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (!(N > 1 && r > 0 && p > 0 && expected.length > 0)) return false;
  const key = await derive(pwd, salt, N, r, p, expected.length);
  return timingSafeEqual(key, expected);
}

/**
 * A hash of a password nobody knows: logins for unknown users verify against it, so they take
 * as long as logins with a wrong password and do not reveal which names exist.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(18).toString('base64url'));
  return decoy;
}
