/**
 * The tus data store for BLOB_STORE=gridfs: uploads in progress live in the same MongoDB as the
 * records and the GridFS videos, so any node answers the next HEAD or PATCH of an upload another
 * node started — also after that node died (a per-node FileStore would answer 404 there).
 *
 * Layout (two collections, beside the `videos` bucket):
 * - `tus.uploads` `{_id: <upload id>, size?, metadata, creation_date, offset, chunks,
 *   last_write?}`: `offset` is the durable offset, the only one HEAD reports; `chunks` lists the
 *   chunk ids holding bytes 0..offset, in order; `last_write` (ISO-8601) moves with the offset:
 *   expiry counts from it (the tus expiration extension: `Upload-Expires` moves forward while the
 *   upload progresses), so `getUpload` reports it as the `creation_date` @tus/server ages by;
 * - `tus.chunks`: per chunk (at most CHUNK_BYTES) a claim `{_id: "<upload id>/<offset, 16
 *   digits>", token, at}` and the bytes `{_id: "<claim id>/<token>", data, token, at}`; `token`
 *   names the write that inserted them, `at` when (mongo-chunk.ts).
 *
 * Invariants (the lock between concurrent PATCHes — @tus/server's locker is per HTTP thread and
 * per node, so two PATCHes of one upload may run at once on two threads or nodes):
 * - a chunk's bytes are inserted (acknowledged by the server) before `offset` moves past them,
 *   so an acknowledged offset never names bytes that are not stored;
 * - the claim's `_id` is the lock: of two writes that passed the offset check at the same offset,
 *   only one can insert the claim at that offset (a unique `_id`, atomic on every server, also on
 *   FerretDB, whose conditional updates are not); the other gets a duplicate key and answers 409
 *   or 423 (the client asks HEAD and resumes), having written nothing;
 * - `offset` and `chunks` then change together in one update conditioned on the offset the chunk
 *   starts at, listing the write's own bytes by their id; if it does not match (the upload was
 *   removed, or a write that took this one's stale claim over got there first), the write
 *   deletes its bytes and claim and answers 409. A write's update can thus never list another
 *   write's bytes, however late it arrives (a writer stalled past its claim, a request held in
 *   the network): the upload holds the bytes of whichever update moved the offset;
 * - a claim left by a write that died (or stalled) before that update blocks its offset until it
 *   is TUS_LEASE_STALE_MS old (423 before); the next write there then deletes it and claims the
 *   offset (claim ages compare the nodes' clocks);
 * - a PATCH cut mid-way keeps every byte that arrived: whole chunks as they fill, then the partial
 *   one when the stream ends or fails; HEAD then reports that offset and the client resumes there;
 * - bytes not in `chunks` (a crash between the insert and the update, or a lost update) are never
 *   read; `remove` deletes every chunk document of the upload by `_id` prefix.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DataStore, ERRORS, Upload } from '@tus/utils';
import { type Collection, type Db, MongoError } from 'mongodb';
import { mongoError } from '../../../store/mongo-connect.js';
import { DEFAULT_LEASE } from './lease.js';
import { type ChunkDoc, idleSince, readChunks, storeChunk } from './mongo-chunk.js';

/** Bytes per chunk document: far below MongoDB's 16 MiB document limit, few round trips. */
export const CHUNK_BYTES = 1024 * 1024;

export interface UploadDoc {
  _id: string;
  size?: number;
  metadata?: Record<string, string | null>;
  creation_date?: string;
  offset: number;
  chunks: string[];
  last_write?: string;
}

/** Every field of an upload document but the chunk list (HEAD and PATCH never need it). */
const NO_CHUNKS = { projection: { chunks: 0 } } as const;

/** Uploads removed per query by `deleteExpired` (the rest in the next page). */
const EXPIRED_PAGE = 500;

export interface MongoTusStoreOptions {
  /** Collection name prefix. @default 'tus' */
  prefix?: string;
  /** An upload expires this long after its last write (410, then `deleteExpired`); 0 = never. @default 0 */
  expiryMs?: number;
  /** A chunk left this long by a write that died holds its offset no longer. @default DEFAULT_LEASE.staleMs */
  staleMs?: number;
  /** The server named in failures. @default the client's `host:port` list */
  where?: string;
}

export class MongoTusStore extends DataStore {
  readonly #uploads: Collection<UploadDoc>;
  readonly #chunks: Collection<ChunkDoc>;
  readonly #expiryMs: number;
  readonly #staleMs: number;
  readonly #where: string;

  constructor(db: Db, options: MongoTusStoreOptions = {}) {
    super();
    const prefix = options.prefix ?? 'tus';
    this.#expiryMs = options.expiryMs ?? 0;
    if (!Number.isSafeInteger(this.#expiryMs) || this.#expiryMs < 0)
      throw new TypeError('options.expiryMs must be a non-negative integer');
    this.#staleMs = options.staleMs ?? DEFAULT_LEASE.staleMs;
    if (!Number.isSafeInteger(this.#staleMs) || this.#staleMs < 1)
      throw new TypeError('options.staleMs must be a positive integer');
    this.#where = options.where ?? db.client.options.hosts.map(String).join(',');
    this.#uploads = db.collection<UploadDoc>(`${prefix}.uploads`);
    this.#chunks = db.collection<ChunkDoc>(`${prefix}.chunks`);
    this.extensions = [
      'creation',
      'creation-with-upload',
      'creation-defer-length',
      'termination',
      'expiration',
    ];
  }

  override getExpiration(): number {
    return this.#expiryMs;
  }

  /**
   * `op` with a driver failure mapped as every MongoDB store maps it (mongo-connect.ts): a server
   * that cannot be reached is ERR_STORE_UNAVAILABLE (503: the client retries and resumes, where a
   * 404 would make it start over). tus's own answers (404, 409, 423) pass as they are.
   */
  #db<T>(op: Promise<T>): Promise<T> {
    return op.catch((err: unknown) => {
      throw this.#mapped(err);
    });
  }

  #mapped(err: unknown): unknown {
    return err instanceof MongoError ? mongoError(err, this.#where, 'tus upload') : err;
  }

  /**
   * Removes every upload not written to (or, never written to, created) for the expiry, complete
   * or not (a completed upload still here was refused or never turned into a blob: nothing can
   * resume it), a page of idleSince at a time. Resolves to how many.
   */
  override async deleteExpired(now = Date.now()): Promise<number> {
    if (this.#expiryMs === 0) return 0;
    const cutoff = new Date(now - this.#expiryMs).toISOString();
    let removed = 0;
    for (;;) {
      const page = await this.#db(idleSince(this.#uploads, cutoff, EXPIRED_PAGE));
      for (const id of page) {
        try {
          await this.remove(id);
          removed++;
        } catch (err) {
          if (err !== ERRORS.FILE_NOT_FOUND) throw err; // another node removed it first
        }
      }
      if (page.length < EXPIRED_PAGE) return removed;
    }
  }

  override async create(upload: Upload): Promise<Upload> {
    await this.#db(
      this.#uploads.insertOne({
        _id: upload.id,
        ...(upload.size !== undefined && { size: upload.size }),
        metadata: upload.metadata ?? {},
        creation_date: upload.creation_date ?? new Date().toISOString(),
        offset: 0,
        chunks: [],
      }),
    );
    upload.offset = 0;
    upload.storage = { type: 'mongodb', path: upload.id };
    return upload;
  }

  override async getUpload(id: string): Promise<Upload> {
    const doc = await this.#db(this.#uploads.findOne({ _id: id }, NO_CHUNKS));
    if (!doc) throw ERRORS.FILE_NOT_FOUND;
    return new Upload({
      id,
      ...(doc.size !== undefined && { size: doc.size }),
      offset: doc.offset,
      ...(doc.metadata !== undefined && { metadata: doc.metadata }),
      // Aged from the last write (see the layout): @tus/server's expiry goes by this date.
      ...((doc.last_write ?? doc.creation_date) !== undefined && {
        creation_date: doc.last_write ?? doc.creation_date,
      }),
      storage: { type: 'mongodb', path: id },
    });
  }

  override async declareUploadLength(id: string, length: number): Promise<void> {
    const r = await this.#db(this.#uploads.updateOne({ _id: id }, { $set: { size: length } }));
    if (r.matchedCount === 0) throw ERRORS.FILE_NOT_FOUND;
  }

  /** Appends the PATCH body at `offset`; resolves to the new durable offset. */
  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const current = await this.#db(
      this.#uploads.findOne({ _id: id }, { projection: { offset: 1 } }),
    );
    if (!current) throw ERRORS.FILE_NOT_FOUND;
    if (current.offset !== offset) throw ERRORS.INVALID_OFFSET;
    const token = randomBytes(6).toString('hex');
    let durable = offset;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await this.#db(
        storeChunk(this.#uploads, this.#chunks, id, durable, token, data, this.#staleMs),
      );
      durable += data.length;
    };
    let failure: unknown;
    try {
      for await (const part of readable as AsyncIterable<Buffer>) {
        let buf = part;
        while (buf.length > 0) {
          const take = Math.min(buf.length, CHUNK_BYTES - pendingBytes);
          pending.push(buf.subarray(0, take));
          pendingBytes += take;
          buf = buf.subarray(take);
          if (pendingBytes === CHUNK_BYTES) await flush();
        }
      }
    } catch (err) {
      failure = err;
    }
    // Keep what arrived, also when the request was cut: the client resumes from HEAD's offset.
    if (failure !== ERRORS.INVALID_OFFSET) await flush();
    if (failure !== undefined) throw failure;
    return durable;
  }

  /** The upload's bytes in order (finish.ts streams them into the blob store). */
  async *read(id: string): AsyncGenerator<Buffer> {
    try {
      yield* readChunks(this.#uploads, this.#chunks, id);
    } catch (err) {
      throw this.#mapped(err);
    }
  }

  /** Deletes the upload, then its chunks (a half-removed upload cannot be resumed). */
  override async remove(id: string): Promise<void> {
    const r = await this.#db(this.#uploads.deleteOne({ _id: id }));
    if (r.deletedCount === 0) throw ERRORS.FILE_NOT_FOUND;
    await this.#db(this.#chunks.deleteMany({ _id: { $gte: `${id}/`, $lt: `${id}0` } }));
  }
}
