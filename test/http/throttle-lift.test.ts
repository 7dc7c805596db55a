/**
 * Lifting one account's in-memory sign-in block (src/http/api/throttle.ts, `liftBlock`) on both
 * record stores' limiters (LMDB, and MongoDB on the test server).
 *
 * rate-limiter-flexible (v11) has no public call that lifts one key's in-memory block alone:
 * `delete(key)` also deletes the key's stored counter (a store write per thread, and it erases
 * the failed attempts counted since the sign-in), `deleteInMemoryBlockedAll()` lifts every key's.
 * So liftBlock reaches into the store limiters' private `_inMemoryBlockedKeys`, and falls back to
 * lifting every block without it. This file pins that private field: a dependency upgrade that
 * renames or removes it fails here, naming it, instead of silently making every blocked account
 * cost a store write again in production.
 *
 * Behaviour, through Throttles: two accounts spend their budget (3), so this thread refuses both
 * from memory with their stored counters at 3. After lifting one account's block, its next attempt
 * reaches the store (its counter moves to 4, still refused), the other's does not (its counter
 * stays 3: refused from memory). With the fallback the bystander's counter would move too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../../src/config.js';
import { RateLimitedError } from '../../src/http/api/rate-limited.js';
import { Throttles } from '../../src/http/api/throttle.js';
import { LmdbRecordStore, MongoRecordStore, type RecordStore } from '../../src/store/index.js';
import { useMongoTestDb } from '../helpers/mongo.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const LIMITS: RateLimits = {
  ...DEFAULT_RATE_LIMITS,
  signInAccount: { points: 3, durationSec: 600 },
  signInAddress: { points: 1_000_000, durationSec: 600 },
};
const ACCOUNT = { keyPrefix: 'sign-in-account', points: 3, durationSec: 600 };

const mongoUri = useMongoTestDb('throttle_lift');
const stores: Record<string, () => Promise<RecordStore>> = {
  lmdb: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'throttle-lift-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const store = LmdbRecordStore.open(dir);
    cleanups.push(() => store.close());
    return store;
  },
  mongo: async () => {
    const store = await MongoRecordStore.open(mongoUri);
    cleanups.push(() => store.close());
    return store;
  },
};

describe.each(Object.keys(stores))('%s', (name) => {
  it("the store limiter keeps its in-memory blocks in _inMemoryBlockedKeys (liftBlock's private access)", async () => {
    const records = await stores[name]!();
    const limiter = records.rateLimiter(ACCOUNT) as unknown as Record<string, unknown>;
    const blocked = limiter._inMemoryBlockedKeys as { delete?: unknown } | undefined;
    const why =
      'rate-limiter-flexible changed: its store limiters no longer keep in-memory blocks in ' +
      '_inMemoryBlockedKeys (a Map-like with delete(storeKey)) keyed by getKey(key); ' +
      'src/http/api/throttle.ts liftBlock falls back to lifting every block: adapt it';
    expect(typeof blocked?.delete, why).toBe('function');
    expect(typeof limiter.getKey, why).toBe('function');
  });

  it("lifting one account's block lets its next attempt reach the store, and no other's", async () => {
    const records = await stores[name]!();
    const throttles = new Throttles(records, LIMITS);
    const counter = records.rateLimiter(ACCOUNT);
    const stored = async (key: string) => (await counter.get(key))?.consumedPoints;
    const [lifted, bystander] = ['lifted_1', 'bystander_1'];
    for (const key of [lifted, bystander]) {
      for (let i = 0; i < 3; i++) await throttles.signIn(key, '127.0.0.1');
      // Budget spent: refused from memory, no store write.
      await expect(throttles.signIn(key, '127.0.0.1')).rejects.toBeInstanceOf(RateLimitedError);
      expect(await stored(key)).toBe(3);
    }

    throttles.liftAccountBlock(lifted);
    await expect(throttles.signIn(lifted, '127.0.0.1')).rejects.toBeInstanceOf(RateLimitedError);
    await expect(throttles.signIn(bystander, '127.0.0.1')).rejects.toBeInstanceOf(RateLimitedError);
    expect(await stored(lifted)).toBe(4); // reached the store, which refused it (over budget)
    expect(await stored(bystander)).toBe(3); // still refused from memory
    // Refused from memory again: the store's refusal blocked it anew.
    await expect(throttles.signIn(lifted, '127.0.0.1')).rejects.toBeInstanceOf(RateLimitedError);
    expect(await stored(lifted)).toBe(4);
  });
});
