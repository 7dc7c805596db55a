/**
 * The storage port: what the services need from records and video bytes. Two record adapters
 * (embedded LMDB, MongoDB) and two blob stores (filesystem, GridFS) implement it, and one shared
 * conformance suite (test/store/*.case.ts) runs against each.
 *
 * Conventions every adapter keeps:
 * - ids are UUID v4 strings validated by the caller; adapters never build paths from other input;
 * - times are epoch milliseconds; "now" is a parameter where a test must control it;
 * - lists come back newest first and are arrays (never null);
 * - a missing record is `undefined`/`false`, never an exception; a broken backend rejects with
 *   a StoreError (see errors.ts).
 */

import type { RateLimiterAbstract } from 'rate-limiter-flexible';

export interface User {
  id: string;
  name: string;
  /** scrypt/argon2 encoded hash; never the password. */
  pwdHash: string;
  createdAt: number;
}

export interface Session {
  id: string;
  userId: string;
  userName: string;
  /**
   * createdAt + SESSION_TTL_MS at creation, then slid forward on use (`extendSession`), never
   * past createdAt + SESSION_MAX_MS.
   */
  expiresAt: number;
  /** Creation time, the start of the absolute maximum; absent on sessions from before it existed. */
  createdAt?: number;
}

/** `active` from creation; `deleting` once the owner deleted it (hidden at once from lists). */
export type VideoState = 'active' | 'deleting';

/** `public`: listed and searchable; `unlisted`: anyone with the id; `private`: the owner only. */
export type Visibility = 'public' | 'unlisted' | 'private';

/** What ffprobe/ffmpeg found in the uploaded file (all null/empty until an upload completed). */
export interface VideoMedia {
  durationMs: number | null;
  width: number | null;
  height: number | null;
  /** Codec names of the streams, video first (e.g. `['vp8', 'vorbis']`). */
  codecs: string[];
  /** Blob id of the poster image, beside the video in the blob store. */
  posterId: string | null;
}

export interface Video extends VideoMedia {
  id: string;
  authorId: string;
  name: string;
  createdAt: number;
  state: VideoState;
  /** Plain text, at most 5,000 characters (STORE_LIMITS.descriptionChars). */
  description: string;
  visibility: Visibility;
  /** True once an upload completed and its metadata was recorded. */
  ready: boolean;
}

/** What `createVideo` takes: the fields beyond the seed's default to a fresh, public record. */
export type NewVideo = Pick<Video, 'id' | 'authorId' | 'name' | 'createdAt' | 'state'> &
  Partial<Omit<Video, 'id' | 'authorId' | 'createdAt' | 'state'>>;

/** The editable fields of a video (details by its owner, media and `ready` by the upload path). */
export type VideoPatch = Partial<
  Pick<Video, 'name' | 'description' | 'visibility' | 'ready'> & VideoMedia
>;

/**
 * One page of a newest-first listing. `cursor` is the opaque `next` of the previous page
 * (undefined = from the newest); `next` is undefined on the last page.
 */
export interface PageRequest {
  cursor?: string | undefined;
  limit: number;
}
export interface Page<T> {
  items: T[];
  next: string | undefined;
}

export interface Comment {
  id: string;
  videoId: string;
  authorId: string;
  /** The commenter's login name, as the seed's API returns it. */
  authorName: string;
  content: string;
  createdAt: number;
}

/**
 * A video deletion waiting for the scheduler.
 * `pending` → claimed (owner + leaseUntil in the future) → removed on completion, or back to
 * `pending` with a later `notBefore` on failure, or `dead` after the capped number of attempts.
 */
export interface DeletionRecord {
  videoId: string;
  enqueuedAt: number;
  state: 'pending' | 'dead';
  attempts: number;
  owner: string | undefined;
  leaseUntil: number | undefined;
  /** Not claimable before this time (retry backoff). */
  notBefore: number;
  lastError: string | undefined;
  /**
   * The id of the request that asked for the deletion (X-Request-Id, request-id.ts), so the
   * scheduler's lines about it carry the same id; absent when no request did (the lifecycle
   * sweep) or the record predates the field.
   */
  requestId?: string;
}

export type FailOutcome = 'retry' | 'dead' | 'lost';

/** A record `owner` holds, as `heldDeletions` reports it. */
export interface HeldDeletion {
  videoId: string;
  leaseUntil: number;
}

/** One failed attempt, as `failDeletions` records it (the arguments of one `failDeletion`). */
export interface DeletionFailure {
  videoId: string;
  error: string;
  retryAt: number;
}

/**
 * The deletion queue: a port of its own beside RecordStore (`openStores` returns both; each
 * adapter keeps it in its own module sharing the records' environment or client).
 */
export interface DeletionQueue {
  /**
   * Idempotent: false when a record for this video already exists (not an error; it keeps its
   * request id). `requestId`: 1–128 characters of `A–Z a–z 0–9 . _ : -` (request-id.ts).
   */
  enqueueDeletion(videoId: string, now?: number, requestId?: string): Promise<boolean>;
  /**
   * Claims up to `limit` oldest claimable records (pending, notBefore ≤ now, lease absent or
   * expired) for `owner` until now + leaseMs. Concurrent claimers never get the same record
   * (except on FerretDB, whose findAndModify is not atomic — see the conformance suite).
   */
  claimDeletions(
    owner: string,
    limit: number,
    leaseMs: number,
    now?: number,
  ): Promise<DeletionRecord[]>;
  /**
   * Records a failed attempt, fenced on `owner`: `retry` (pending again, not before `retryAt`),
   * `dead` (attempts reached `maxAttempts`), or `lost` (owner no longer holds it; nothing written).
   */
  failDeletion(
    videoId: string,
    owner: string,
    error: string,
    retryAt: number,
    maxAttempts: number,
  ): Promise<FailOutcome>;
  /**
   * Renew, complete and fail work on batches: one write for the whole batch (one LMDB
   * transaction; bulk updateMany/deleteMany on MongoDB), each record fenced on `owner` (a no-op
   * for a record `owner` does not hold: pending with `owner` recorded; an expired lease nobody
   * took since still counts). A batch acts as one call per id would in order (an id given twice
   * is handled twice). At most STORE_LIMITS.batchIds ids.
   * renewDeletions extends the lease to now + leaseMs and returns the ids whose lease `owner`
   * held, in the given order.
   */
  renewDeletions(
    owner: string,
    videoIds: readonly string[],
    leaseMs: number,
    now?: number,
  ): Promise<string[]>;
  /**
   * Read-only: the records of `videoIds` that `owner` holds by the fence of renew/complete/fail
   * (pending, `owner` recorded; an expired lease nobody took counts), each with its lease end,
   * in the given order. No write (on LMDB no write lock), so a caller can confirm fresh leases
   * and renew only the short ones. The answer may be a moment old: a lease seen ending at T is
   * still ours until T (nobody claims before then), but a record seen not held may be ours now.
   */
  heldDeletions(owner: string, videoIds: readonly string[]): Promise<HeldDeletion[]>;
  /** Removes the records `owner` holds; returns their ids. The others are left as they are. */
  completeDeletions(owner: string, videoIds: readonly string[]): Promise<string[]>;
  /**
   * Gives back the leases `owner` holds among `videoIds` unused: those records are claimable at
   * once, their attempts unchanged (a claim made ahead that will not run). Returns how many.
   */
  releaseDeletions(owner: string, videoIds: readonly string[]): Promise<number>;
  /** Records each failed attempt as failDeletion does; the outcomes in the order given. */
  failDeletions(
    owner: string,
    failures: readonly DeletionFailure[],
    maxAttempts: number,
  ): Promise<FailOutcome[]>;
  getDeletion(videoId: string): Promise<DeletionRecord | undefined>;
  listDeadDeletions(): Promise<DeletionRecord[]>;
  /** Pending + dead record counts, for metrics. */
  countDeletions(): Promise<{ pending: number; dead: number }>;
}

/** One throttle of `RecordStore.rateLimiter`: at most `points` per `durationSec` per key. */
export interface RateLimiterSpec {
  /** Namespace of the keys (`sign-in-address`); limiters with different prefixes never mix. */
  keyPrefix: string;
  points: number;
  durationSec: number;
}

export interface RecordStore {
  // users
  /** Rejects with StoreError ERR_DUPLICATE when the name is taken. */
  createUser(user: User): Promise<void>;
  getUserByName(name: string): Promise<User | undefined>;
  getUserById(id: string): Promise<User | undefined>;

  // sessions
  createSession(session: Session): Promise<void>;
  /** A session that has expired at `now` is reported missing. */
  getSession(id: string, now?: number): Promise<Session | undefined>;
  deleteSession(id: string): Promise<boolean>;
  /** Moves an existing session's expiry to `expiresAt`; false (nothing written) if it is gone. */
  extendSession(id: string, expiresAt: number): Promise<boolean>;
  /** Removes every session expired at `now`; returns how many. */
  purgeExpiredSessions(now?: number): Promise<number>;

  // videos
  createVideo(video: NewVideo): Promise<void>;
  /** Every field filled (records from before a field existed get its default). */
  getVideo(id: string): Promise<Video | undefined>;
  /** Applies `patch` to an `active` video; the updated record, or undefined if none. */
  updateVideo(id: string, patch: VideoPatch): Promise<Video | undefined>;
  /**
   * Listed videos (active, public, ready), newest first: all of them, one author's, or those
   * whose title or description holds every word of `query` (words as in `searchWords`).
   * Each is a range read over an index, never a scan. A malformed cursor is ERR_INVALID_ARGUMENT.
   */
  listPublicVideos(page: PageRequest): Promise<Page<Video>>;
  listPublicVideosByAuthor(authorId: string, page: PageRequest): Promise<Page<Video>>;
  searchVideos(query: string, page: PageRequest): Promise<Page<Video>>;
  /**
   * Optional capability: the same answer synchronously, for stores whose reads are local memory
   * (LMDB's memory map). The stream service's hot path uses it to answer without a promise;
   * stores with a network round trip (MongoDB) leave it out and callers fall back to getVideo.
   * The answer may be shared with other callers (frozen): read it, never modify it.
   */
  getVideoNow?(id: string): Video | undefined;
  /** The author's `active` videos, newest first. */
  listVideosByAuthor(authorId: string): Promise<Video[]>;
  /**
   * One page of the author's `active` videos, newest first (the owner's list: any visibility).
   * A malformed cursor is ERR_INVALID_ARGUMENT.
   */
  pageVideosByAuthor(authorId: string, page: PageRequest): Promise<Page<Video>>;
  /**
   * Up to `limit` active videos whose upload never completed (`ready` false) created before
   * `createdBefore`: the lifecycle sweep purges them after the upload TTL. A background scan,
   * run rarely; not for request paths.
   */
  listStaleUploads(createdBefore: number, limit: number): Promise<Video[]>;
  /** Hides the video (state `deleting`); false if it does not exist. */
  markVideoDeleting(id: string): Promise<boolean>;
  /**
   * Removes each video's comments and its record (with every index entry) as one write: one LMDB
   * transaction; on
   * MongoDB one deleteMany of the comments, then one of the videos (a crash between leaves
   * records that the same call removes when run again). Idempotent: a missing video or comment
   * is fine. At most STORE_LIMITS.batchIds ids. For the deletion task: nothing is fenced here —
   * the caller completes the deletion records fenced on its lease afterwards.
   */
  deleteVideos(videoIds: readonly string[]): Promise<void>;

  // comments
  addComment(comment: Comment): Promise<void>;
  /** Newest first. */
  listComments(videoId: string): Promise<Comment[]>;
  /** One page of a video's comments, newest first (cursor as for videos). */
  pageComments(videoId: string, page: PageRequest): Promise<Page<Comment>>;

  // rate limits
  /**
   * A rate-limiter-flexible limiter whose counters live in this store, so every thread, process
   * and node using the store shares one budget (RateLimiterMongo on MongoDB, collection
   * `rate_limits`; LmdbRateLimiter embedded). Cheap to create; create once per throttle.
   * Once a key's budget is spent, the limiter refuses it from memory until the window ends (no
   * store write per refused attempt); that block is per limiter instance, not shared.
   */
  rateLimiter(spec: RateLimiterSpec): RateLimiterAbstract;

  close(): Promise<void>;
}

export interface BlobInfo {
  size: number;
  contentType: string;
  /** Strong validator, quoted as it goes in an ETag header: `"…"`. */
  etag: string;
  /** Last modification, epoch ms (for Last-Modified). */
  mtime: number;
}

/**
 * Receives one upload. Nothing is visible under the id until `commit()` resolves; `abort()` (or
 * a failed write) removes every trace. Call exactly one of commit/abort.
 */
export interface BlobWriter {
  /** Resolves when the chunk is accepted; await it before sending more (backpressure). */
  write(chunk: Uint8Array): Promise<void>;
  commit(): Promise<BlobInfo>;
  abort(): Promise<void>;
  readonly bytesWritten: number;
  /**
   * A local file holding every byte written so far (the filesystem store's temp file, or the
   * copy asked for with `localCopy`), so the upload path can probe the media before `commit`
   * makes it visible. Gone after commit or abort.
   */
  readonly stagedPath?: string;
}

export interface BlobStore {
  /**
   * `localCopy`: the writer keeps every byte in a local file (`stagedPath`) until commit or
   * abort, for a media probe before the commit. The filesystem store always has one; GridFS and
   * S3 tee into a temp file only when asked (it costs local disk of the upload's size).
   */
  createWriter(id: string, meta: { contentType: string; localCopy?: boolean }): Promise<BlobWriter>;
  stat(id: string): Promise<BlobInfo | undefined>;
  /** Bytes `start..end` inclusive (end defaults to the last byte). */
  read(
    id: string,
    range?: { start: number; end: number },
  ): NodeJS.ReadableStream & AsyncIterable<Buffer>;
  /** Idempotent: deleting a missing blob is fine. */
  delete(id: string): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional capability: the path of the blob's file when the store keeps blobs as plain files
   * on this machine (the filesystem store), so the stream service can send it with sendfile-like
   * reads. Stores without local files (GridFS, S3) leave it out; callers check for it.
   */
  localPath?(id: string): string;
  /**
   * Optional capability: every stored blob id with its last modification (epoch ms), for the
   * orphan sweep (blobs with no record). Stores that cannot list cheaply leave it out.
   */
  list?(): AsyncIterable<{ id: string; mtime: number }>;
  /**
   * Optional capability: `delete` for threads that serve nothing else (the deletion pool), where
   * a short blocking call is fine: the filesystem store checks each path with access(2) first,
   * so a missing blob costs no threadpool hop and no error object. Never on a serving thread.
   * Idempotent, like `delete`.
   */
  deleteInPool?(id: string): Promise<void>;
}
