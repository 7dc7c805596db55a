/**
 * rate-limiter-flexible's store limiter over LMDB: the embedded counterpart of RateLimiterMongo.
 *
 * Why not RateLimiterMemory: every HTTP thread (and every process sharing DATA_DIR) would keep
 * its own counters, so N threads would multiply every budget by N, and the kernel decides which
 * thread a connection lands on. LMDB is already shared by all of them.
 *
 * Invariants
 * - One counter per key: `{points, expire}` (expire: epoch ms, or null = never). A counter whose
 *   expire has passed counts as absent.
 * - Every read-modify-write runs inside ONE `transaction()` callback; LMDB has one writer at a
 *   time across threads and processes, so two consumers never both see the same old value.
 * - Expired counters are swept in bounded batches every SWEEP_EVERY writes of a thread, so keys
 *   made up by an attacker (one per address or account name tried) do not pile up.
 * - Once a consume brings a key's counter to `points`, this limiter instance blocks the key in
 *   memory until the counter's window ends (the library's `inMemoryBlockOnConsumed` with no
 *   `inMemoryBlockDuration`): a flood is then refused without a write transaction per request.
 *   The block is per instance (per HTTP thread): another thread still writes once, sees the
 *   counter over budget and blocks too. `delete` lifts this instance's block.
 */
import type { Database, RootDatabase } from 'lmdb';
import { RateLimiterRes } from 'rate-limiter-flexible';
import RateLimiterStoreAbstract from 'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js';

interface Counter {
  points: number;
  expire: number | null;
}

const SWEEP_EVERY = 1000;
const SWEEP_MAX = 10_000;

export interface LmdbRateLimiterOptions {
  keyPrefix: string;
  points: number;
  /** Window in seconds. */
  duration: number;
}

const live = (c: Counter | undefined, now: number): c is Counter =>
  c !== undefined && (c.expire === null || c.expire > now);

export class LmdbRateLimiter extends RateLimiterStoreAbstract {
  readonly #db: Database<Counter, string>;
  readonly #tx: <T>(fn: () => T) => Promise<T>;
  #writes = 0;

  /** `db` is a msgpack database of the store's environment; `tx` its write transaction. */
  constructor(
    options: LmdbRateLimiterOptions,
    db: Database<Counter, string>,
    tx: <T>(fn: () => T) => Promise<T>,
  ) {
    super({ ...options, inMemoryBlockOnConsumed: options.points, storeClient: db });
    this.#db = db;
    this.#tx = tx;
  }

  /** The library's hook: its result object from our counter. */
  _getRateLimiterRes(_key: string, changedPoints: number, c: Counter): RateLimiterRes {
    return new RateLimiterRes(
      Math.max(this.points - c.points, 0),
      c.expire === null ? -1 : Math.max(c.expire - Date.now(), 0),
      c.points,
      c.points === changedPoints,
    );
  }

  /** Adds `points` (or sets them, `forceExpire`), starting a new window if none is live. */
  _upsert(key: string, points: number, msDuration: number, forceExpire = false): Promise<Counter> {
    if (++this.#writes % SWEEP_EVERY === 0) void this.sweep().catch(() => {});
    return this.#tx(() => {
      const now = Date.now();
      const old = this.#db.get(key);
      const c: Counter =
        !forceExpire && live(old, now)
          ? { points: old.points + points, expire: old.expire }
          : { points, expire: msDuration > 0 ? now + msDuration : null };
      this.#db.put(key, c);
      return c;
    });
  }

  async _get(key: string): Promise<Counter | null> {
    const c = this.#db.get(key);
    return live(c, Date.now()) ? c : null;
  }

  _delete(key: string): Promise<boolean> {
    return this.#tx(() => {
      if (this.#db.get(key) === undefined) return false;
      this.#db.remove(key);
      return true;
    });
  }

  /** Removes up to SWEEP_MAX expired counters of every prefix; returns how many. */
  sweep(now = Date.now()): Promise<number> {
    return this.#tx(() => {
      let n = 0;
      for (const { key, value } of this.#db.getRange({ limit: SWEEP_MAX })) {
        if (!live(value, now)) {
          this.#db.remove(key);
          n++;
        }
      }
      return n;
    });
  }
}

/** Opens the counters' database in `root` (one for every limiter; keys carry their prefix). */
export function openRateLimitDb(root: RootDatabase): Database<Counter, string> {
  return root.openDB<Counter, string>({ name: 'rateLimits', encoding: 'msgpack' });
}
