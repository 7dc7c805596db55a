/**
 * RecordStore on MongoDB (official driver). Collections: users, sessions, videos, comments,
 * video_del_rec; every document's `_id` is the record's UUID (the video id for deletions).
 *
 * Invariants
 * - Indexes are created by `open()` before the store is handed out (idempotent on restart).
 * - Claims: MongoDB cannot "update the N oldest matching documents and return them" in one
 *   atomic command (updateMany has no limit/sort and does not return documents), so a claim is
 *   a loop of findOneAndUpdate, each atomically moving ONE claimable document to our lease. On a
 *   real mongod two claimers can never both win a document: the second one's filter no longer
 *   matches once the first wrote its lease. FerretDB v1 implements findAndModify as find-then-
 *   update without a lock, so there two claimers may both "win" the same record; fencing keeps
 *   that safe (only the last writer is the owner; the other's complete/fail is a no-op), and the
 *   executors are idempotent. The conformance suite names this gap.
 * - Every write after a claim filters on `{_id, state: 'pending', owner}`: a non-owner matches
 *   nothing and writes nothing.
 */
import type { Collection, Db, MongoClient } from 'mongodb';
import { newDeletion, toDeletion } from './deletion.js';
import { DuplicateError, StoreClosedError } from './errors.js';
import { connectMongo, type MongoConnectOptions, mongoError } from './mongo-connect.js';
import type {
  Comment,
  DeletionRecord,
  FailOutcome,
  RecordStore,
  Session,
  User,
  Video,
} from './types.js';
import * as v from './validate.js';

type Doc<T extends { id: string }> = Omit<T, 'id'> & { _id: string };
type DelDoc = Omit<DeletionRecord, 'videoId' | 'owner' | 'leaseUntil' | 'lastError'> & {
  _id: string;
  owner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
};

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
  readonly #users: Collection<Doc<User>>;
  readonly #sessions: Collection<Doc<Session>>;
  readonly #videos: Collection<Doc<Video>>;
  readonly #comments: Collection<Doc<Comment>>;
  readonly #dels: Collection<DelDoc>;
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
    this.#dels = db.collection('video_del_rec');
  }

  async #createIndexes(): Promise<void> {
    await this.#users.createIndex({ name: 1 }, { unique: true, name: 'name_unique' });
    await this.#sessions.createIndex({ expiresAt: 1 }, { name: 'expiresAt' });
    await this.#videos.createIndex(
      { authorId: 1, createdAt: -1, _id: -1 },
      { name: 'author_time' },
    );
    await this.#comments.createIndex(
      { videoId: 1, createdAt: -1, _id: -1 },
      { name: 'video_time' },
    );
    await this.#dels.createIndex({ state: 1, enqueuedAt: 1, _id: 1 }, { name: 'state_time' });
    await this.#dels.createIndex(
      { state: 1, notBefore: 1, leaseUntil: 1 },
      { name: 'state_notBefore_lease' },
    );
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
        await this.#users.insertOne(toDoc({ id, name, pwdHash, createdAt }));
      },
      `user ${JSON.stringify(name)}`,
    ).catch((e) => {
      throw e.code === 'ERR_DUPLICATE' ? new DuplicateError(`user ${JSON.stringify(name)}`) : e;
    });
  }

  async getUserByName(name: string): Promise<User | undefined> {
    if (typeof name !== 'string') return undefined;
    return this.#run(async () => fromDoc<User>(await this.#users.findOne({ name })));
  }

  async getUserById(id: string): Promise<User | undefined> {
    v.checkId('user id', id);
    return this.#run(async () => fromDoc<User>(await this.#users.findOne({ _id: id })));
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

  async purgeExpiredSessions(now = Date.now()): Promise<number> {
    v.checkTime('now', now);
    return this.#run(
      async () => (await this.#sessions.deleteMany({ expiresAt: { $lte: now } })).deletedCount,
    );
  }

  // videos

  async createVideo(video: Video): Promise<void> {
    v.checkVideo(video);
    const d = toDoc({ ...video });
    await this.#run(() => this.#videos.replaceOne({ _id: d._id }, d, { upsert: true }));
  }

  async getVideo(id: string): Promise<Video | undefined> {
    v.checkId('video id', id);
    return this.#run(async () => fromDoc<Video>(await this.#videos.findOne({ _id: id })));
  }

  async listVideosByAuthor(authorId: string): Promise<Video[]> {
    v.checkId('author id', authorId);
    return this.#run(async () => {
      const docs = await this.#videos
        .find({ authorId, state: 'active' })
        .sort({ createdAt: -1, _id: -1 })
        .toArray();
      return docs.map((d) => fromDoc<Video>(d) as Video);
    });
  }

  async markVideoDeleting(id: string): Promise<boolean> {
    v.checkId('video id', id);
    return this.#run(
      async () =>
        (await this.#videos.updateOne({ _id: id }, { $set: { state: 'deleting' } }))
          .matchedCount === 1,
    );
  }

  async deleteVideo(id: string): Promise<boolean> {
    v.checkId('video id', id);
    return this.#run(async () => (await this.#videos.deleteOne({ _id: id })).deletedCount === 1);
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

  async deleteCommentsOfVideo(videoId: string): Promise<number> {
    v.checkId('video id', videoId);
    return this.#run(async () => (await this.#comments.deleteMany({ videoId })).deletedCount);
  }

  // deletion queue

  async enqueueDeletion(videoId: string, now = Date.now()): Promise<boolean> {
    v.checkId('video id', videoId);
    v.checkTime('now', now);
    const { videoId: _id, ...rest } = newDeletion(videoId, now);
    const doc: DelDoc = { _id, ...rest, owner: null, leaseUntil: null, lastError: null };
    try {
      await this.#run(() => this.#dels.insertOne(doc));
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_DUPLICATE') return false; // already queued
      throw e;
    }
  }

  /** The same rule as deletion.ts `claimable`, as a query. */
  #claimFilter(now: number) {
    return {
      state: 'pending' as const,
      notBefore: { $lte: now },
      $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }],
    };
  }

  async claimDeletions(
    owner: string,
    limit: number,
    leaseMs: number,
    now = Date.now(),
  ): Promise<DeletionRecord[]> {
    v.checkOwner(owner);
    v.checkPositiveInt('limit', limit);
    v.checkPositiveInt('leaseMs', leaseMs, 365 * 24 * 3600 * 1000);
    v.checkTime('now', now);
    const out: DeletionRecord[] = [];
    while (out.length < limit) {
      const doc = await this.#run(() =>
        this.#dels.findOneAndUpdate(
          this.#claimFilter(now),
          { $set: { owner, leaseUntil: now + leaseMs } },
          { sort: { enqueuedAt: 1, _id: 1 }, returnDocument: 'after' },
        ),
      );
      if (!doc) break;
      out.push(toDeletion(doc));
    }
    return out;
  }

  async renewDeletion(
    videoId: string,
    owner: string,
    leaseMs: number,
    now = Date.now(),
  ): Promise<boolean> {
    v.checkId('video id', videoId);
    v.checkOwner(owner);
    v.checkPositiveInt('leaseMs', leaseMs, 365 * 24 * 3600 * 1000);
    v.checkTime('now', now);
    const r = await this.#run(() =>
      this.#dels.updateOne(
        { _id: videoId, state: 'pending', owner },
        { $set: { leaseUntil: now + leaseMs } },
      ),
    );
    return r.matchedCount === 1;
  }

  async completeDeletion(videoId: string, owner: string): Promise<boolean> {
    v.checkId('video id', videoId);
    v.checkOwner(owner);
    const r = await this.#run(() =>
      this.#dels.deleteOne({ _id: videoId, state: 'pending', owner }),
    );
    return r.deletedCount === 1;
  }

  async failDeletion(
    videoId: string,
    owner: string,
    error: string,
    retryAt: number,
    maxAttempts: number,
  ): Promise<FailOutcome> {
    v.checkId('video id', videoId);
    v.checkOwner(owner);
    v.checkTime('retryAt', retryAt);
    v.checkPositiveInt('maxAttempts', maxAttempts, 1_000_000);
    const lastError = v.truncateError(error);
    const fence = { _id: videoId, state: 'pending' as const, owner };
    const release = { owner: null, leaseUntil: null, lastError };
    // Two fenced single-document updates, split on the attempt count, each atomic by itself:
    // whichever matches decides the outcome; neither matching means we lost the lease.
    const dead = await this.#run(() =>
      this.#dels.updateOne(
        { ...fence, attempts: { $gte: maxAttempts - 1 } },
        { $set: { ...release, state: 'dead' }, $inc: { attempts: 1 } },
      ),
    );
    if (dead.matchedCount === 1) return 'dead';
    const retry = await this.#run(() =>
      this.#dels.updateOne(
        { ...fence, attempts: { $lt: maxAttempts - 1 } },
        { $set: { ...release, notBefore: retryAt }, $inc: { attempts: 1 } },
      ),
    );
    return retry.matchedCount === 1 ? 'retry' : 'lost';
  }

  async getDeletion(videoId: string): Promise<DeletionRecord | undefined> {
    v.checkId('video id', videoId);
    const d = await this.#run(() => this.#dels.findOne({ _id: videoId }));
    return d ? toDeletion(d) : undefined;
  }

  async listDeadDeletions(): Promise<DeletionRecord[]> {
    return this.#run(async () => {
      const docs = await this.#dels
        .find({ state: 'dead' })
        .sort({ enqueuedAt: 1, _id: 1 })
        .toArray();
      return docs.map((d) => toDeletion(d));
    });
  }

  async countDeletions(): Promise<{ pending: number; dead: number }> {
    return this.#run(async () => ({
      pending: await this.#dels.countDocuments({ state: 'pending' }),
      dead: await this.#dels.countDocuments({ state: 'dead' }),
    }));
  }

  close(): Promise<void> {
    this.#closed ??= this.#ownsClient ? this.#client.close() : Promise.resolve();
    return this.#closed;
  }
}
