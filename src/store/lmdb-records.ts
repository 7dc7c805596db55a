/**
 * RecordStore on LMDB (`lmdb` package), under `<dataDir>/db`.
 *
 * Invariants
 * - Every write that touches more than one key (a record and its index entries) runs in ONE
 *   `transaction()` callback, so it commits all-or-nothing: a crash leaves either every key of
 *   the operation or none. Callbacks never throw (arguments are validated before), so a failed
 *   check returns a value instead of aborting the batch other callers share.
 * - LMDB allows one write transaction at a time per environment, across threads AND processes
 *   (a process-shared lock in lock.mdb). Reads inside a `transaction()` callback see the latest
 *   committed state plus the callback's own writes. So a read-check-write inside one callback
 *   (claim, fenced complete/renew/fail, unique name) is atomic against every other writer.
 * - The primary record (by id) is the truth; index entries are written in the same transaction.
 *   Lists are hot, so the two list indexes carry a copy of the (immutable) record and a list is
 *   one range read; the others hold `null`. Index keys:
 *     userKeys         foldUserName(name)            → user id (unique regardless of case)
 *     videosByAuthor   [authorId, createdAt, id]     → Video (only `active` videos)
 *     public listing and search indexes: lmdb-video-index.ts
 *     commentsByVideo  [videoId, createdAt, id]      → Comment
 *     sessionsByExp    [expiresAt, id]
 *     delPending       [enqueuedAt, videoId]         (only `pending` deletion records)
 *   Ordered-binary keys compare arrays element-wise, so a range over [x, lo]..[x, hi] is all of
 *   x, in time order; reading it in reverse gives newest first (ties: higher id first).
 *
 * The parts, each over the one environment (lmdb-env.ts): users and sessions here, videos and
 * comments in lmdb-videos.ts, the deletion queue in lmdb-queue.ts, rate limits in
 * lmdb-rate-limiter.ts.
 */
import { join } from 'node:path';
import type { Database } from 'lmdb';
import { DuplicateError } from './errors.js';
import { LmdbEnv } from './lmdb-env.js';
import { LmdbDeletionQueue } from './lmdb-queue.js';
import { LmdbRateLimiter, openRateLimitDb } from './lmdb-rate-limiter.js';
import { LmdbVideos } from './lmdb-videos.js';
import type { RateLimiterSpec, RecordStore, Session, User } from './types.js';
import { foldUserName } from './user-name.js';
import * as v from './validate.js';

export interface LmdbRecordStoreOptions {
  /** Directory of the LMDB environment. */
  path: string;
}

/** Users and sessions here; videos and comments inherited from LmdbVideos (lmdb-videos.ts). */
export class LmdbRecordStore extends LmdbVideos implements RecordStore {
  readonly #env: LmdbEnv;
  readonly #users: Database<User, string>;
  readonly #userKeys: Database<string, string>;
  readonly #sessions: Database<Session, string>;
  readonly #sessionsByExp: Database<null, [number, string]>;
  readonly #rateLimits: ReturnType<typeof openRateLimitDb>;
  /** This store's deletion queue (same environment/client); `openStores` hands it out as `queue`. */
  readonly queue: LmdbDeletionQueue;

  /** Opens (creating if needed) the environment; every thread and process may open the same path. */
  static open(dataDir: string): LmdbRecordStore {
    return new LmdbRecordStore({ path: join(dataDir, 'db') });
  }

  constructor(options: LmdbRecordStoreOptions) {
    const env = new LmdbEnv(options.path);
    super(env);
    this.#env = env;
    this.#users = env.db('users');
    this.#userKeys = env.db('userKeys');
    this.#foldExistingNames(env.db<string, string>('userNames'));
    this.#sessions = env.db('sessions');
    this.#sessionsByExp = env.db('sessionsByExp');
    this.#rateLimits = openRateLimitDb(env.root);
    this.queue = new LmdbDeletionQueue(
      env.root,
      (fn) => env.tx(fn),
      () => env.assertOpen(),
    );
  }

  // users

  async createUser(user: User): Promise<void> {
    v.checkUser(user);
    const u: User = {
      id: user.id,
      name: user.name,
      pwdHash: user.pwdHash,
      createdAt: user.createdAt,
    };
    const ok = await this.#env.tx(() => {
      const key = foldUserName(u.name);
      if (this.#userKeys.get(key) !== undefined || this.#users.get(u.id) !== undefined) {
        return false;
      }
      this.#users.put(u.id, u);
      this.#userKeys.put(key, u.id);
      return true;
    });
    if (!ok) throw new DuplicateError(`user ${JSON.stringify(u.name)}`);
  }

  async getUserByName(name: string): Promise<User | undefined> {
    this.#env.assertOpen();
    if (typeof name !== 'string') return undefined;
    const id = this.#userKeys.get(foldUserName(name));
    return id === undefined ? undefined : this.#users.get(id);
  }

  /**
   * Environments from before names were folded have the exact-name index `userNames`: build
   * `userKeys` from it once (the first opener to find userKeys empty does it, in one write
   * transaction; others then find it filled). Two old names equal but for case keep the first.
   */
  #foldExistingNames(old: Database<string, string>): void {
    if (this.#userKeys.getKeysCount({ limit: 1 }) > 0 || old.getKeysCount({ limit: 1 }) === 0)
      return;
    this.#env.root.transactionSync(() => {
      if (this.#userKeys.getKeysCount({ limit: 1 }) > 0) return;
      for (const { key, value } of old.getRange()) {
        const folded = foldUserName(key);
        if (this.#userKeys.get(folded) === undefined) this.#userKeys.put(folded, value);
      }
    });
  }

  async getUserById(id: string): Promise<User | undefined> {
    this.#env.assertOpen();
    return this.#users.get(v.checkId('user id', id));
  }

  // sessions

  async createSession(session: Session): Promise<void> {
    v.checkSession(session);
    const s: Session = { ...session };
    await this.#env.tx(() => {
      const old = this.#sessions.get(s.id);
      if (old) this.#sessionsByExp.remove([old.expiresAt, old.id]);
      this.#sessions.put(s.id, s);
      this.#sessionsByExp.put([s.expiresAt, s.id], null);
    });
  }

  async getSession(id: string, now = Date.now()): Promise<Session | undefined> {
    this.#env.assertOpen();
    const s = this.#sessions.get(v.checkId('session id', id));
    return s && s.expiresAt > now ? s : undefined;
  }

  async deleteSession(id: string): Promise<boolean> {
    v.checkId('session id', id);
    return this.#env.tx(() => {
      const s = this.#sessions.get(id);
      if (!s) return false;
      this.#sessions.remove(id);
      this.#sessionsByExp.remove([s.expiresAt, s.id]);
      return true;
    });
  }

  async extendSession(id: string, expiresAt: number): Promise<boolean> {
    v.checkId('session id', id);
    v.checkTime('expiresAt', expiresAt);
    return this.#env.tx(() => {
      const s = this.#sessions.get(id);
      if (!s) return false;
      this.#sessionsByExp.remove([s.expiresAt, s.id]);
      this.#sessions.put(id, { ...s, expiresAt });
      this.#sessionsByExp.put([expiresAt, id], null);
      return true;
    });
  }

  async purgeExpiredSessions(now = Date.now()): Promise<number> {
    v.checkTime('now', now);
    return this.#env.tx(() => {
      let n = 0;
      // [now + 1] sorts after every [t ≤ now, id]: expired means expiresAt ≤ now.
      for (const key of this.#sessionsByExp.getKeys({ end: [now + 1] })) {
        this.#sessionsByExp.remove(key);
        if (this.#sessions.remove(key[1]) !== undefined) n++;
      }
      return n;
    });
  }

  rateLimiter(spec: RateLimiterSpec): LmdbRateLimiter {
    v.checkRateLimiterSpec(spec);
    const { keyPrefix, points, durationSec: duration } = spec;
    return new LmdbRateLimiter({ keyPrefix, points, duration }, this.#rateLimits, (fn) =>
      this.#env.tx(fn),
    );
  }

  /** Idempotent: later callers wait for the first close. */
  close(): Promise<void> {
    return this.#env.close();
  }
}
