/**
 * Password hashing with scrypt on a piscina pool of its own (src/actors createPool), not on
 * libuv's thread pool: that pool has 4 threads shared by every thread of the process with file
 * I/O, so 32 concurrent wrong sign-ins used to queue uploads and downloads behind them (a 10 KB
 * upload went from 6 ms to 8.5 s).
 *
 * Pool shape: one pool per HTTP thread (a piscina pool cannot be shared across threads), with
 * HASH_THREADS threads and a bounded queue. Hashing therefore never takes more than
 * HTTP_THREADS × HASH_THREADS cores, and beyond HASH_QUEUE waiting hashes a sign-in is answered
 * 429 at once instead of queueing without bound (backpressure as a return value). The pool
 * starts on first use and its idle threads exit after a minute; idle threads are unref'd, so they
 * never hold an HTTP thread open at shutdown.
 *
 * Encoded as `scrypt$N$r$p$salt$hash` (base64url), so the parameters can be raised later and
 * old hashes still verify. A per-user random salt; comparison in constant time.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createPool, type Pool } from '../../actors/index.js';
import { workerFile } from '../../worker-file.js';
import type { ScryptJob } from './password.task.js';
import { RateLimitedError } from './rate-limited.js';

const PARAMS = Object.freeze({ N: 16384, r: 8, p: 1, keyLen: 32, saltLen: 16 });

/** Threads per pool (per HTTP thread). */
export const HASH_THREADS = 1;
/** Hashes waiting per pool before sign-ins and sign-ups are refused with 429. */
export const HASH_QUEUE = 64;

let pool: Pool<ScryptJob, Uint8Array> | undefined;

function hashPool(): Pool<ScryptJob, Uint8Array> {
  pool ??= createPool<ScryptJob, Uint8Array>({
    file: workerFile(import.meta.url, './password.task'),
    threads: HASH_THREADS,
    idleTimeoutMs: 60_000,
    maxQueue: HASH_QUEUE,
    name: 'password',
  });
  return pool;
}

async function derive(job: ScryptJob): Promise<Buffer> {
  const p = hashPool();
  if (p.queueSize >= HASH_QUEUE) {
    throw new RateLimitedError(1, 'Too many sign-ins at once; try again in a second');
  }
  const key = await p.run(job);
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength);
}

export async function hashPassword(pwd: string): Promise<string> {
  const { N, r, p, keyLen, saltLen } = PARAMS;
  const salt = randomBytes(saltLen);
  const key = await derive({ pwd, salt, N, r, p, keyLen });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** False for a wrong password or a malformed hash; never throws for bad input. */
export async function verifyPassword(pwd: string, encoded: string): Promise<boolean> {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  // N a power of two > 1 and a bounded cost: a tampered record cannot make us allocate gigabytes.
  const sane = N > 1 && N <= 2 ** 20 && (N & (N - 1)) === 0 && r > 0 && r <= 32 && p > 0 && p <= 16;
  if (!sane || expected.length === 0 || expected.length > 128) return false;
  const key = await derive({ pwd, salt, N, r, p, keyLen: expected.length });
  return timingSafeEqual(key, expected);
}

/**
 * A hash of a password nobody knows: logins for unknown users verify against it, so they take
 * as long as logins with a wrong password and do not reveal which names exist.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(18).toString('base64url')).catch((err) => {
    decoy = undefined;
    throw err;
  });
  return decoy;
}
