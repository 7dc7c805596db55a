/**
 * RecordStore on MongoDB (official driver). Collections: users, sessions, videos, comments,
 * video_del_rec; every document's `_id` is the record's UUID (the video id for deletions).
 *
 * Invariants
 * - Indexes are created by `open()` before the store is handed out (idempotent on restart).
 * - The deletion queue (claims, leases, fencing) is mongo-queue.ts.
 */
import type { Collection, Db, MongoClient } from 'mongodb';
import { RateLimiterMongo } from 'rate-limiter-flexible';
import { DuplicateError, StoreClosedError } from './errors.js';
import { connectMongo, type MongoConnectOptions, mongoError } from './mongo-connect.js';
import { MongoDeletionQueue } from './mongo-queue.js';
import {
  type Doc,
  fromDoc,
  type MongoRun,
  MongoVideoRecords,
  toDoc,
} from './mongo-records-videos.js';
import type { RateLimiterSpec, RecordStore, Session, User } from './types.js';
import { foldUserName } from './user-name.js';
import * as v from './validate.js';

/** Collection of every rate limiter's counters (keys carry the limiter's prefix). */
const RATE_LIMITS = 'rate_limits';

/** A user document carries its folded name for the case-insensitive unique index. */
type UserDoc = Doc<User> & { nameKey?: string };

function userFromDoc(d: UserDoc | null): User | undefined {
  if (!d) return undefined;
  const { nameKey: _, ...rest } = d;
  return fromDoc<User>(rest);
}

/** Users, sessions, rate limits and the lifecycle here; videos and comments inherited from
 *  MongoVideoRecords (mongo-records-videos.ts). */
export class MongoRecordStore extends MongoVideoRecords implements RecordStore {
  readonly #client: MongoClient;
  readonly #ownsClient: boolean;
  readonly #users: Collection<UserDoc>;
  readonly #sessions: Collection<Doc<Session>>;
  readonly #rateLimits: Collection;
  readonly #db: Db;
  /** This store's deletion queue (same environment/client); `openStores` hands it out as `queue`. */
  readonly queue: MongoDeletionQueue;
  readonly #run: MongoRun;
  readonly #lifecycle: { closed?: Promise<void> };

  /** Connects (fails fast naming the host), creates the indexes, returns the store. */
  static async open(uri: string, options: MongoConnectOptions = {}): Promise<MongoRecordStore> {
    const { client, db, where } = await connectMongo(uri, options);
    const store = new MongoRecordStore(client, db, where, true);
    try {
      await store.#createIndexes();
    } catch (cause) {
      await client.close().catch(() => {});
      throw mongoError(cause, where);
    }
    return store;
  }

  /** Wraps an existing client (sharing it with a GridFS blob store); `close()` leaves it open. */
  static async fromDb(client: MongoClient, db: Db, where: string): Promise<MongoRecordStore> {
    const store = new MongoRecordStore(client, db, where, false);
    await store.#createIndexes().catch((cause) => {
      throw mongoError(cause, where);
    });
    return store;
  }

  private constructor(client: MongoClient, db: Db, where: string, ownsClient: boolean) {
    // Made before super(): the video half runs its calls through it too.
    const lifecycle: { closed?: Promise<void> } = {};
    const run: MongoRun = async (fn, what) => {
      if (lifecycle.closed) throw new StoreClosedError();
      try {
        return await fn();
      } catch (cause) {
        throw mongoError(cause, where, what);
      }
    };
    super(db, run);
    this.#run = run;
    this.#lifecycle = lifecycle;
    this.#client = client;
    this.#ownsClient = ownsClient;
    this.#users = db.collection('users');
    this.#sessions = db.collection('sessions');
    this.#db = db;
    this.#rateLimits = db.collection(RATE_LIMITS);
    this.queue = new MongoDeletionQueue(db.collection('video_del_rec'), run);
  }

  async #createIndexes(): Promise<void> {
    await this.#users.createIndex({ name: 1 }, { unique: true, name: 'name_unique' });
    // Names are unique regardless of case: `nameKey` = foldUserName(name), filled in for users
    // from before it existed, then indexed unique.
    for (const d of await this.#users.find({ nameKey: { $exists: false } }).toArray()) {
      await this.#users.updateOne({ _id: d._id }, { $set: { nameKey: foldUserName(d.name) } });
    }
    await this.#users.createIndex({ nameKey: 1 }, { unique: true, name: 'nameKey_unique' });
    await this.#sessions.createIndex({ expiresAt: 1 }, { name: 'expiresAt' });
    await this.createVideoRecordIndexes();
    await this.queue.createIndexes();
    // What RateLimiterMongo would create itself, but awaited here (its own attempt only logs).
    await this.#rateLimits.createIndex({ key: 1 }, { unique: true, name: 'key_unique' });
    // The TTL index only removes old counters (the limiter ignores expired ones anyway), and
    // the dev server (FerretDB 1.24) answers NotImplemented (238) to it: go on without it there.
    await this.#rateLimits
      .createIndex({ expire: -1 }, { expireAfterSeconds: 0, name: 'expire_ttl' })
      .catch((err: { code?: number }) => {
        if (err?.code !== 238) throw err;
      });
  }

  // users

  async createUser(user: User): Promise<void> {
    v.checkUser(user);
    const { id, name, pwdHash, createdAt } = user;
    await this.#run(
      async () => {
        await this.#users.insertOne({
          ...toDoc({ id, name, pwdHash, createdAt }),
          nameKey: foldUserName(name),
        });
      },
      `user ${JSON.stringify(name)}`,
    ).catch((e) => {
      throw e.code === 'ERR_DUPLICATE' ? new DuplicateError(`user ${JSON.stringify(name)}`) : e;
    });
  }

  async getUserByName(name: string): Promise<User | undefined> {
    if (typeof name !== 'string') return undefined;
    return this.#run(async () =>
      userFromDoc(await this.#users.findOne({ nameKey: foldUserName(name) })),
    );
  }

  async getUserById(id: string): Promise<User | undefined> {
    v.checkId('user id', id);
    return this.#run(async () => userFromDoc(await this.#users.findOne({ _id: id })));
  }

  // sessions

  async createSession(session: Session): Promise<void> {
    v.checkSession(session);
    const d = toDoc({ ...session });
    await this.#run(() => this.#sessions.replaceOne({ _id: d._id }, d, { upsert: true }));
  }

  async getSession(id: string, now = Date.now()): Promise<Session | undefined> {
    v.checkId('session id', id);
    const s = await this.#run(async () =>
      fromDoc<Session>(await this.#sessions.findOne({ _id: id })),
    );
    return s && s.expiresAt > now ? s : undefined;
  }

  async deleteSession(id: string): Promise<boolean> {
    v.checkId('session id', id);
    return this.#run(async () => (await this.#sessions.deleteOne({ _id: id })).deletedCount === 1);
  }

  async extendSession(id: string, expiresAt: number): Promise<boolean> {
    v.checkId('session id', id);
    v.checkTime('expiresAt', expiresAt);
    return this.#run(
      async () =>
        (await this.#sessions.updateOne({ _id: id }, { $set: { expiresAt } })).matchedCount === 1,
    );
  }

  async purgeExpiredSessions(now = Date.now()): Promise<number> {
    v.checkTime('now', now);
    return this.#run(
      async () => (await this.#sessions.deleteMany({ expiresAt: { $lte: now } })).deletedCount,
    );
  }

  rateLimiter(spec: RateLimiterSpec): RateLimiterMongo {
    v.checkRateLimiterSpec(spec);
    return new RateLimiterMongo({
      // A Db (no `.db()` method): the limiter uses it as is, in this store's database.
      storeClient: this.#db,
      tableName: RATE_LIMITS,
      keyPrefix: spec.keyPrefix,
      points: spec.points,
      duration: spec.durationSec,
      // Budget spent → this instance refuses the key from memory until the window ends, so a
      // flood costs one MongoDB write per node (per HTTP thread), not one per request.
      inMemoryBlockOnConsumed: spec.points,
      disableIndexesCreation: true,
    });
  }

  close(): Promise<void> {
    this.#lifecycle.closed ??= this.#ownsClient ? this.#client.close() : Promise.resolve();
    return this.#lifecycle.closed;
  }
}
