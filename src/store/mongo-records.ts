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
  afterCursor,
  createVideoIndexes,
  updateVideoDoc,
  type VideoDoc,
  videoDoc,
  videoFromDoc,
  videoPage,
} from './mongo-videos.js';
import type {
  Comment,
  NewVideo,
  Page,
  PageRequest,
  RateLimiterSpec,
  RecordStore,
  Session,
  User,
  Video,
  VideoPatch,
} from './types.js';
import { foldUserName } from './user-name.js';
import * as v from './validate.js';
import { checkNewVideo, checkPage, checkVideoPatch, searchWords, toPage } from './video-fields.js';

/** Collection of every rate limiter's counters (keys carry the limiter's prefix). */
const RATE_LIMITS = 'rate_limits';

/** A user document carries its folded name for the case-insensitive unique index. */
type UserDoc = Doc<User> & { nameKey?: string };

function userFromDoc(d: UserDoc | null): User | undefined {
  if (!d) return undefined;
  const { nameKey: _, ...rest } = d;
  return fromDoc<User>(rest);
}

type Doc<T extends { id: string }> = Omit<T, 'id'> & { _id: string };

function toDoc<T extends { id: string }>(x: T): Doc<T> {
  const { id, ...rest } = x;
  return { _id: id, ...rest } as Doc<T>;
}

function fromDoc<T extends { id: string }>(d: Doc<T> | null): T | undefined {
  if (!d) return undefined;
  const { _id, ...rest } = d;
  return { id: _id, ...rest } as unknown as T;
}

export class MongoRecordStore implements RecordStore {
  readonly #client: MongoClient;
  readonly #where: string;
  readonly #ownsClient: boolean;
  readonly #users: Collection<UserDoc>;
  readonly #sessions: Collection<Doc<Session>>;
  readonly #videos: Collection<VideoDoc>;
  readonly #comments: Collection<Doc<Comment>>;
  readonly #rateLimits: Collection;
  readonly #db: Db;
  /** This store's deletion queue (same environment/client); `openStores` hands it out as `queue`. */
  readonly queue: MongoDeletionQueue;
  #closed: Promise<void> | undefined;

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
    this.#client = client;
    this.#where = where;
    this.#ownsClient = ownsClient;
    this.#users = db.collection('users');
    this.#sessions = db.collection('sessions');
    this.#videos = db.collection('videos');
    this.#comments = db.collection('comments');
    this.#db = db;
    this.#rateLimits = db.collection(RATE_LIMITS);
    this.queue = new MongoDeletionQueue(db.collection('video_del_rec'), (fn) => this.#run(fn));
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
    await this.#videos.createIndex(
      { authorId: 1, createdAt: -1, _id: -1 },
      { name: 'author_time' },
    );
    await createVideoIndexes(this.#videos);
    await this.#comments.createIndex(
      { videoId: 1, createdAt: -1, _id: -1 },
      { name: 'video_time' },
    );
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

  /** Runs one driver call, mapping failures to StoreError. */
  async #run<T>(fn: () => Promise<T>, what?: string): Promise<T> {
    if (this.#closed) throw new StoreClosedError();
    try {
      return await fn();
    } catch (cause) {
      throw mongoError(cause, this.#where, what);
    }
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

  // videos

  async createVideo(video: NewVideo): Promise<void> {
    const d = videoDoc(checkNewVideo(video));
    await this.#run(() => this.#videos.replaceOne({ _id: d._id }, d, { upsert: true }));
  }

  async getVideo(id: string): Promise<Video | undefined> {
    v.checkId('video id', id);
    return this.#run(async () => videoFromDoc(await this.#videos.findOne({ _id: id })));
  }

  async listStaleUploads(createdBefore: number, limit: number): Promise<Video[]> {
    return this.#run(async () => {
      const docs = await this.#videos
        .find({ state: 'active', ready: false, createdAt: { $lt: createdBefore } })
        .limit(limit)
        .toArray();
      return docs.map((d) => videoFromDoc(d)).filter((x): x is Video => x !== undefined);
    });
  }

  async updateVideo(id: string, patch: VideoPatch): Promise<Video | undefined> {
    v.checkId('video id', id);
    checkVideoPatch(patch);
    return this.#run(() => updateVideoDoc(this.#videos, id, patch));
  }

  async listPublicVideos(page: PageRequest): Promise<Page<Video>> {
    return this.#run(() => videoPage(this.#videos, { listed: true }, page));
  }

  async listPublicVideosByAuthor(authorId: string, page: PageRequest): Promise<Page<Video>> {
    v.checkId('author id', authorId);
    return this.#run(() => videoPage(this.#videos, { listed: true, authorId }, page));
  }

  async searchVideos(query: string, page: PageRequest): Promise<Page<Video>> {
    const words = searchWords(String(query));
    if (words.length === 0) return this.#run(async () => ({ items: [], next: undefined }));
    return this.#run(() => videoPage(this.#videos, { words: { $all: words } }, page));
  }

  async listVideosByAuthor(authorId: string): Promise<Video[]> {
    v.checkId('author id', authorId);
    return this.#run(async () => {
      const docs = await this.#videos
        .find({ authorId, state: 'active' })
        .sort({ createdAt: -1, _id: -1 })
        .toArray();
      return docs.map((d) => videoFromDoc(d) as Video);
    });
  }

  async pageVideosByAuthor(authorId: string, page: PageRequest): Promise<Page<Video>> {
    v.checkId('author id', authorId);
    return this.#run(() => videoPage(this.#videos, { authorId, state: 'active' }, page));
  }

  async markVideoDeleting(id: string): Promise<boolean> {
    v.checkId('video id', id);
    return this.#run(
      async () =>
        (
          await this.#videos.updateOne(
            { _id: id },
            { $set: { state: 'deleting', listed: false, words: [] }, $inc: { rev: 1 } },
          )
        ).matchedCount === 1,
    );
  }

  async deleteVideos(videoIds: readonly string[]): Promise<void> {
    const ids = [...v.checkIds(videoIds)];
    // Comments first: were the second command lost, a retry still finds the videos to remove.
    await this.#run(() => this.#comments.deleteMany({ videoId: { $in: ids } }));
    await this.#run(() => this.#videos.deleteMany({ _id: { $in: ids } }));
  }

  // comments

  async addComment(comment: Comment): Promise<void> {
    v.checkComment(comment);
    const d = toDoc({ ...comment });
    await this.#run(() => this.#comments.replaceOne({ _id: d._id }, d, { upsert: true }));
  }

  async listComments(videoId: string): Promise<Comment[]> {
    v.checkId('video id', videoId);
    return this.#run(async () => {
      const docs = await this.#comments
        .find({ videoId })
        .sort({ createdAt: -1, _id: -1 })
        .toArray();
      return docs.map((d) => fromDoc<Comment>(d) as Comment);
    });
  }

  async pageComments(videoId: string, page: PageRequest): Promise<Page<Comment>> {
    v.checkId('video id', videoId);
    const cursor = checkPage(page);
    return this.#run(async () => {
      const docs = await this.#comments
        .find({ videoId, ...afterCursor<Doc<Comment>>(cursor) })
        .sort({ createdAt: -1, _id: -1 })
        .limit(page.limit + 1)
        .toArray();
      return toPage(
        docs.map((d) => fromDoc<Comment>(d) as Comment),
        page.limit,
      );
    });
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
    this.#closed ??= this.#ownsClient ? this.#client.close() : Promise.resolve();
    return this.#closed;
  }
}
