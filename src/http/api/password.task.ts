/**
 * The password pool's task: one scrypt derivation, synchronous, on the pool's own thread.
 * (The asynchronous `crypto.scrypt` would hand the work to libuv's thread pool again, which every
 * thread of the process shares with file I/O: exactly what the pool is there to avoid.)
 */
import { scryptSync } from 'node:crypto';
import { defineTask } from '../../actors/index.js';

export interface ScryptJob {
  pwd: string;
  salt: Uint8Array;
  N: number;
  r: number;
  p: number;
  keyLen: number;
}

export default defineTask((job: ScryptJob): Uint8Array => {
  const { pwd, salt, N, r, p, keyLen } = job;
  return scryptSync(pwd, salt, keyLen, { N, r, p, maxmem: 128 * N * r * 2 });
});
