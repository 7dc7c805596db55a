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
 */
import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { DuplicateError, StoreClosedError, StoreUnavailableError } from './errors.js';
import { HotRecords } from './lmdb-hot.js';
import { LmdbDeletionQueue } from './lmdb-queue.js';
import { LmdbRateLimiter, openRateLimitDb } from './lmdb-rate-limiter.js';
import { LmdbVideoIndex } from './lmdb-video-index.js';
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
import {
  type CursorKey,
  checkNewVideo,
  checkPage,
  checkVideoPatch,
  normalizeVideo,
  pickPatch,
  searchWords,
  toPage,
} from './video-fields.js';

const MAX = Number.MAX_SAFE_INTEGER;

export interface LmdbRecordStoreOptions {
  /** Directory of the LMDB environment. */
  path: string;
}

export class LmdbRecordStore implements RecordStore {
  readonly #root: RootDatabase;
  readonly #users: Database<User, string>;
  readonly #userKeys: Database<string, string>;
  readonly #sessions: Database<Session, string>;
  readonly #sessionsByExp: Database<null, [number, string]>;
  readonly #videos: Database<Video, string>;
  readonly #hotVideos: HotRecords<Video, string>;
  readonly #videosByAuthor: Database<Video, [string, number, string]>;
  readonly #comments: Database<Comment, string>;
  readonly #commentsByVideo: Database<Comment, [string, number, string]>;
  readonly #public: LmdbVideoIndex;
  readonly #rateLimits: ReturnType<typeof openRateLimitDb>;
  /** This store's deletion queue (same environment/client); `openStores` hands it out as `queue`. */
  readonly queue: LmdbDeletionQueue;
  #closed: Promise<void> | undefined;

  /** Opens (creating if needed) the environment; every thread and process may open the same path. */
  static open(dataDir: string): LmdbRecordStore {
    return new LmdbRecordStore({ path: join(dataDir, 'db') });
  }

  constructor(options: LmdbRecordStoreOptions) {
    try {
      // 64 GiB of address space, not of disk: LMDB maps the file lazily. maxDbs is a ceiling on
      // named databases (each costs a few bytes per environment), with room to grow.
      this.#root = open({ path: options.path, maxDbs: 32, mapSize: 64 * 1024 ** 3 });
    } catch (cause) {
      throw new StoreUnavailableError(`cannot open LMDB at ${options.path}: ${String(cause)}`, {
        cause,
      });
    }
    const db = <V, K extends import('lmdb').Key>(name: string) =>
      this.#root.openDB<V, K>({ name, encoding: 'msgpack' });
    this.#users = db('users');
    this.#userKeys = db('userKeys');
    this.#foldExistingNames(db<string, string>('userNames'));
    this.#sessions = db('sessions');
    this.#sessionsByExp = db('sessionsByExp');
    this.#videos = db('videos');
    this.#hotVideos = new HotRecords(this.#videos, normalizeVideo);
    this.#videosByAuthor = db('videosByAuthor');
    this.#comments = db('comments');
    this.#commentsByVideo = db('commentsByVideo');
    this.#public = new LmdbVideoIndex(this.#root);
    this.#rateLimits = openRateLimitDb(this.#root);
    this.queue = new LmdbDeletionQueue(
      this.#root,
      (fn) => this.#tx(fn),
      () => this.#open(),
    );
  }

  #open(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  /** Runs `fn` in a write transaction; errors from LMDB itself become ERR_STORE_UNAVAILABLE. */
  async #tx<T>(fn: () => T): Promise<T> {
    this.#open();
    try {
      return await this.#root.transaction(fn);
    } catch (cause) {
      throw new StoreUnavailableError(`LMDB write failed: ${String(cause)}`, { cause });
    }
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
    const ok = await this.#tx(() => {
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
    this.#open();
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
    this.#root.transactionSync(() => {
      if (this.#userKeys.getKeysCount({ limit: 1 }) > 0) return;
      for (const { key, value } of old.getRange()) {
        const folded = foldUserName(key);
        if (this.#userKeys.get(folded) === undefined) this.#userKeys.put(folded, value);
      }
    });
  }

  async getUserById(id: string): Promise<User | undefined> {
    this.#open();
    return this.#users.get(v.checkId('user id', id));
  }

  // sessions

  async createSession(session: Session): Promise<void> {
    v.checkSession(session);
    const s: Session = { ...session };
    await this.#tx(() => {
      const old = this.#sessions.get(s.id);
      if (old) this.#sessionsByExp.remove([old.expiresAt, old.id]);
      this.#sessions.put(s.id, s);
      this.#sessionsByExp.put([s.expiresAt, s.id], null);
    });
  }

  async getSession(id: string, now = Date.now()): Promise<Session | undefined> {
    this.#open();
    const s = this.#sessions.get(v.checkId('session id', id));
    return s && s.expiresAt > now ? s : undefined;
  }

  async deleteSession(id: string): Promise<boolean> {
    v.checkId('session id', id);
    return this.#tx(() => {
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
    return this.#tx(() => {
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
    return this.#tx(() => {
      let n = 0;
      // [now + 1] sorts after every [t ≤ now, id]: expired means expiresAt ≤ now.
      for (const key of this.#sessionsByExp.getKeys({ end: [now + 1] })) {
        this.#sessionsByExp.remove(key);
        if (this.#sessions.remove(key[1]) !== undefined) n++;
      }
      return n;
    });
  }

  // videos

  async createVideo(video: NewVideo): Promise<void> {
    const x = checkNewVideo(video);
    await this.#tx(() => {
      const old = this.#videos.get(x.id);
      if (old) this.#unindexVideo(old);
      this.#videos.put(x.id, x);
      if (x.state === 'active') this.#videosByAuthor.put([x.authorId, x.createdAt, x.id], x);
      this.#public.add(x);
    });
  }

  /** Inside a transaction: removes every index entry of the stored version `old`. */
  #unindexVideo(old: Video): void {
    this.#videosByAuthor.remove([old.authorId, old.createdAt, old.id]);
    this.#public.remove(normalizeVideo(old));
  }

  async getVideo(id: string): Promise<Video | undefined> {
    this.#open();
    const x = this.#videos.get(v.checkId('video id', id));
    return x && normalizeVideo(x);
  }

  async listStaleUploads(createdBefore: number, limit: number): Promise<Video[]> {
    this.#open();
    const out: Video[] = [];
    // A full scan of the videos table: the sweep runs rarely and in the background.
    for (const { value } of this.#videos.getRange()) {
      const x = normalizeVideo(value);
      if (x.state === 'active' && !x.ready && x.createdAt < createdBefore) out.push(x);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Frozen, and reused while the record's bytes are unchanged (lmdb-hot.ts). */
  getVideoNow(id: string): Video | undefined {
    this.#open();
    return this.#hotVideos.get(v.checkId('video id', id));
  }

  async updateVideo(id: string, patch: VideoPatch): Promise<Video | undefined> {
    v.checkId('video id', id);
    checkVideoPatch(patch);
    const changes = pickPatch(patch);
    return this.#tx(() => {
      const old = this.#videos.get(id);
      if (old?.state !== 'active') return undefined;
      const x = normalizeVideo({ ...old, ...changes });
      this.#unindexVideo(old);
      this.#videos.put(id, x);
      this.#videosByAuthor.put([x.authorId, x.createdAt, x.id], x);
      this.#public.add(x);
      return x;
    });
  }

  async listPublicVideos(page: PageRequest): Promise<Page<Video>> {
    this.#open();
    return this.#public.list(page);
  }

  async listPublicVideosByAuthor(authorId: string, page: PageRequest): Promise<Page<Video>> {
    this.#open();
    return this.#public.listByAuthor(v.checkId('author id', authorId), page);
  }

  async searchVideos(query: string, page: PageRequest): Promise<Page<Video>> {
    this.#open();
    return this.#public.search(searchWords(String(query)), page);
  }

  async listVideosByAuthor(authorId: string): Promise<Video[]> {
    this.#open();
    v.checkId('author id', authorId);
    return newestFirst(this.#videosByAuthor, authorId).map(normalizeVideo);
  }

  async pageVideosByAuthor(authorId: string, page: PageRequest): Promise<Page<Video>> {
    this.#open();
    v.checkId('author id', authorId);
    return pageNewestFirst(this.#videosByAuthor, authorId, page, normalizeVideo);
  }

  async markVideoDeleting(id: string): Promise<boolean> {
    v.checkId('video id', id);
    return this.#tx(() => {
      const x = this.#videos.get(id);
      if (!x) return false;
      this.#unindexVideo(x);
      this.#videos.put(id, { ...x, state: 'deleting' });
      return true;
    });
  }

  async deleteVideo(id: string): Promise<boolean> {
    v.checkId('video id', id);
    return this.#tx(() => {
      const x = this.#videos.get(id);
      if (!x) return false;
      this.#unindexVideo(x);
      this.#videos.remove(id);
      return true;
    });
  }

  // comments

  async addComment(comment: Comment): Promise<void> {
    v.checkComment(comment);
    const c: Comment = { ...comment };
    await this.#tx(() => {
      const old = this.#comments.get(c.id);
      if (old) this.#commentsByVideo.remove([old.videoId, old.createdAt, old.id]);
      this.#comments.put(c.id, c);
      this.#commentsByVideo.put([c.videoId, c.createdAt, c.id], c);
    });
  }

  async listComments(videoId: string): Promise<Comment[]> {
    this.#open();
    v.checkId('video id', videoId);
    return newestFirst(this.#commentsByVideo, videoId);
  }

  async pageComments(videoId: string, page: PageRequest): Promise<Page<Comment>> {
    this.#open();
    v.checkId('video id', videoId);
    return pageNewestFirst(this.#commentsByVideo, videoId, page, (c) => c);
  }

  async deleteCommentsOfVideo(videoId: string): Promise<number> {
    v.checkId('video id', videoId);
    return this.#tx(() => {
      let n = 0;
      for (const key of this.#commentsByVideo.getKeys({
        start: [videoId, -1, ''],
        end: [videoId, MAX, ''],
      })) {
        this.#commentsByVideo.remove(key);
        if (this.#comments.remove(key[2]) !== undefined) n++;
      }
      return n;
    });
  }

  rateLimiter(spec: RateLimiterSpec): LmdbRateLimiter {
    v.checkRateLimiterSpec(spec);
    const { keyPrefix, points, durationSec: duration } = spec;
    return new LmdbRateLimiter({ keyPrefix, points, duration }, this.#rateLimits, (fn) =>
      this.#tx(fn),
    );
  }

  close(): Promise<void> {
    // Idempotent: later callers wait for the first close.
    this.#closed ??= this.#root.close();
    return this.#closed;
  }
}

/** The values under [prefix, time, id] keys, newest first (one read transaction). */
function newestFirst<T>(db: Database<T, [string, number, string]>, prefix: string): T[] {
  const out: T[] = [];
  const range = db.getRange({ start: [prefix, MAX, ''], end: [prefix, -1, ''], reverse: true });
  for (const { value } of range) out.push(value);
  return out;
}

/**
 * One page under [prefix, time, id] keys, newest first: starts at the cursor's key (skipped: the
 * previous page's last item), reads at most limit + 1 values (the extra one only says "more").
 */
function pageNewestFirst<V, T extends CursorKey>(
  db: Database<V, [string, number, string]>,
  prefix: string,
  page: PageRequest,
  map: (value: V) => T,
): Page<T> {
  const after = checkPage(page);
  const start: [string, number, string] = after
    ? [prefix, after.createdAt, after.id]
    : [prefix, MAX, ''];
  const out: T[] = [];
  for (const { key, value } of db.getRange({ start, end: [prefix, -1, ''], reverse: true })) {
    if (after && key[1] === after.createdAt && key[2] === after.id) continue;
    out.push(map(value));
    if (out.length > page.limit) break;
  }
  return toPage(out, page.limit);
}
