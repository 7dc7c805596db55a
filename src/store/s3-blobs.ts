/**
 * BlobStore on S3-compatible object storage (AWS S3, SeaweedFS, MinIO …): the production choice
 * when many stateless nodes serve one site. Object key = `<prefix><lowercase id>`.
 *
 * Invariants
 * - Nothing partial is ever visible: an object appears only when its PutObject (small blobs) or
 *   CompleteMultipartUpload (large ones, via lib-storage's Upload) succeeds, and S3 makes that
 *   switch atomically, also when it replaces an older version. An aborted or crashed multipart
 *   upload leaves invisible parts only; `open` aborts those older than `staleUploadMs` (and a
 *   bucket lifecycle rule should too, see README).
 * - The ETag is the object's S3 ETag (a content hash): different bytes ⇒ a different ETag, and an
 *   object never changes in place, so it is a strong validator.
 * - One GetObject per read. S3 clamps a range past the end instead of refusing it, so the
 *   answer's Content-Range total is checked and such a read fails with ERR_INVALID_RANGE, as in
 *   the other stores. The body is pulled (byteStream), so a paused consumer stops the socket:
 *   backpressure reaches the S3 server through TCP.
 * - Deleting a missing object is done (S3 DeleteObject is idempotent).
 */
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import { byteStream, checkContentType } from './blob-common.js';
import { BlobNotFoundError, InvalidRangeError, StoreClosedError, StoreError } from './errors.js';
import { LocalStage } from './fs-blob-stage.js';
import {
  ensureBucket,
  httpStatus,
  isNotFound,
  listBlobs,
  s3Error,
  sdkLogger,
  sweepStaleUploads,
} from './s3-common.js';
import {
  type ResolvedS3Options,
  type S3BlobStoreOptions,
  validateS3Options,
} from './s3-options.js';
import { S3Writer } from './s3-writer.js';
import type { BlobInfo, BlobStore, BlobWriter } from './types.js';
import { checkId } from './validate.js';

export { S3_BLOB_DEFAULTS, type S3BlobStoreOptions } from './s3-options.js';

function info(h: HeadObjectCommandOutput): BlobInfo {
  return {
    size: h.ContentLength ?? 0,
    contentType: h.ContentType || 'application/octet-stream',
    etag: h.ETag?.startsWith('"') ? h.ETag : `"${h.ETag ?? ''}"`,
    mtime: h.LastModified?.getTime() ?? 0,
  };
}

/** `bytes 5-9/10` → 10 (undefined when absent or unparsable). */
function totalOf(contentRange: string | undefined): number | undefined {
  const m = /\/(\d+)\s*$/.exec(contentRange ?? '');
  return m ? Number(m[1]) : undefined;
}

function rangeShapeOk(r: { start: number; end: number }): boolean {
  return (
    Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end) && r.start >= 0 && r.end >= r.start
  );
}

export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #maxBytes: number;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #listPageSize: number;
  readonly #where: string;
  #closed = false;

  private constructor(client: S3Client, o: ResolvedS3Options, where: string) {
    this.#client = client;
    this.#bucket = o.bucket;
    this.#prefix = o.prefix;
    this.#maxBytes = o.maxBytes;
    this.#partSize = o.partSize;
    this.#queueSize = o.queueSize;
    this.#listPageSize = o.listPageSize;
    this.#where = where;
  }

  /**
   * Connects, creates the bucket when missing (`createBucket`), aborts multipart uploads older
   * than `staleUploadMs` under the prefix, and returns the store. Rejects with
   * ERR_STORE_UNAVAILABLE naming the endpoint (never the credentials) when S3 cannot be used.
   */
  static async open(options: S3BlobStoreOptions): Promise<S3BlobStore> {
    const o = validateS3Options(options);
    const where = `${o.endpoint ?? 'AWS S3'} bucket ${o.bucket}`;
    const client = new S3Client({
      region: o.region,
      forcePathStyle: o.forcePathStyle,
      ...(o.endpoint !== undefined && { endpoint: o.endpoint }),
      ...(o.credentials !== undefined && { credentials: o.credentials }),
      // Fail fast when the endpoint is down; no overall request timeout, because a reader paused
      // by a slow HTTP client legitimately leaves its S3 socket idle.
      requestHandler: { connectionTimeout: 5000 },
      logger: sdkLogger(),
    });
    try {
      if (o.createBucket) await ensureBucket(client, o.bucket, where);
      if (o.staleUploadMs !== Number.POSITIVE_INFINITY) {
        await sweepStaleUploads(client, o.bucket, o.prefix, o.staleUploadMs, where);
      }
    } catch (e) {
      client.destroy();
      throw e;
    }
    return new S3BlobStore(client, o, where);
  }

  #key(id: string): string {
    if (this.#closed) throw new StoreClosedError();
    return this.#prefix + checkId('blob id', id).toLowerCase();
  }

  async createWriter(
    id: string,
    meta: { contentType: string; localCopy?: boolean },
  ): Promise<BlobWriter> {
    const key = this.#key(id);
    const contentType = checkContentType(meta?.contentType);
    return new S3Writer({
      stage: meta.localCopy ? await LocalStage.open() : undefined,
      client: this.#client,
      bucket: this.#bucket,
      key,
      contentType,
      maxBytes: this.#maxBytes,
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      where: this.#where,
      stat: () => this.#head(key),
    });
  }

  async #head(key: string): Promise<BlobInfo | undefined> {
    try {
      return info(
        await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key })),
      );
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw s3Error(e, this.#where);
    }
  }

  async stat(id: string): Promise<BlobInfo | undefined> {
    return this.#head(this.#key(id));
  }

  read(id: string, range?: { start: number; end: number }): Readable {
    const self = this;
    return byteStream(() => {
      const key = this.#key(id);
      return (async function* () {
        if (range !== undefined && !rangeShapeOk(range)) {
          const size = (await self.#head(key))?.size;
          if (size === undefined) throw new BlobNotFoundError(id);
          throw new InvalidRangeError(range.start, range.end, size);
        }
        let out: GetObjectCommandOutput;
        try {
          out = await self.#client.send(
            new GetObjectCommand({
              Bucket: self.#bucket,
              Key: key,
              ...(range !== undefined && { Range: `bytes=${range.start}-${range.end}` }),
            }),
          );
        } catch (e) {
          if (isNotFound(e)) throw new BlobNotFoundError(id);
          if (range !== undefined && httpStatus(e) === 416) {
            const size = (await self.#head(key))?.size;
            if (size === undefined) throw new BlobNotFoundError(id);
            throw new InvalidRangeError(range.start, range.end, size);
          }
          throw s3Error(e, self.#where);
        }
        const body = out.Body as Readable | undefined;
        try {
          if (range !== undefined) {
            const total = totalOf(out.ContentRange);
            if (total === undefined || range.end >= total) {
              throw new InvalidRangeError(range.start, range.end, total ?? 0);
            }
          }
          if (!body) return;
          for await (const chunk of body) yield chunk as Buffer;
        } catch (e) {
          throw e instanceof StoreError ? e : s3Error(e, self.#where);
        } finally {
          body?.destroy();
        }
      })();
    });
  }

  /** Every blob under the prefix with its LastModified, paged (s3-common.ts listBlobs). */
  async *list(): AsyncIterable<{ id: string; mtime: number }> {
    if (this.#closed) throw new StoreClosedError();
    yield* listBlobs(this.#client, this.#bucket, this.#prefix, this.#listPageSize, this.#where);
  }

  async delete(id: string): Promise<void> {
    const key = this.#key(id);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (e) {
      if (!isNotFound(e)) throw s3Error(e, this.#where);
    }
  }

  /** Idempotent. In-flight reads fail; the client's sockets are closed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.destroy();
  }
}
