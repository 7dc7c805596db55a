/**
 * The tus data store for many-node deployments (BLOB_STORE=s3): uploads in progress live in the
 * same bucket as the videos (@tus/s3-store: an S3 multipart upload per tus upload, plus
 * `<id>.info` and, for a short trailing chunk, `<id>.part`), so any node can answer the next
 * HEAD or PATCH of an upload another node started — also after that node died. A per-node
 * FileStore would answer 404 there, since nginx spreads requests over the nodes.
 *
 * Upload ids are tus's random hex names at the bucket root; videos live under `videos/`, so
 * they never collide. No metadata cache: the stock one is per process and keeps an upload's
 * `.info` after another node removed it (completed, or expired by the sweep), and S3Store then
 * reports such an upload as complete (offset = size, since its multipart upload is gone). One
 * GetObject per request is the price of every node seeing removals at once.
 * Credentials come from the AWS SDK's standard chain, as for the blob store.
 */
import type { ReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { MetadataValue, S3Store, Options as S3StoreOptions } from '@tus/s3-store';
import { ERRORS } from '@tus/utils';
import type { Config } from '../../../config.js';
import { s3Error, sdkLogger, sweepStaleUploads } from '../../../store/s3-common.js';
import { checkLeaseTiming, type Lease, type LeaseTiming, leased, leaseError } from './lease.js';
import { lockUpload } from './s3-lock.js';
import { ReadingS3Store } from './s3-read.js';

/**
 * S3Store whose `remove` also works after completion, and whose `deleteExpired` only touches tus
 * uploads; its reads (and how they tell a failing S3 from an upload that is gone) are
 * s3-read.ts'. The stock `remove` first aborts the upload's multipart upload; once completed that
 * answers NoSuchUpload, it throws "not found" and never deletes the assembled object and its
 * `.info` — a full second copy of every video left in the bucket. Here a completed upload's
 * objects are deleted all the same (DeleteObjects is idempotent).
 *
 * Expiry counts from the last write (s3-read.ts): every write that stored bytes rewrites the
 * empty object `<id>.active`; `deleteExpired` spares an upload written to since.
 */
class CompletableS3Store extends ReadingS3Store {
  readonly #lease: LeaseTiming;
  /** The lease of each write in progress through this instance, by upload id. */
  readonly #writing = new Map<string, Lease>();

  constructor(options: S3StoreOptions, lease: LeaseTiming) {
    super(options);
    this.#lease = checkLeaseTiming(lease, 'config.tusLease');
  }

  override async remove(id: string): Promise<void> {
    try {
      await super.remove(id);
      await this.client.deleteObject({ Bucket: this.bucket, Key: `${id}.active` });
    } catch (err) {
      // @tus/utils' FILE_NOT_FOUND (a transitive package: matched by shape, not imported).
      if ((err as { status_code?: number } | undefined)?.status_code !== 404) throw err;
      await this.client.deleteObjects({
        Bucket: this.bucket,
        Delete: { Objects: ['', '.info', '.part', '.active'].map((x) => ({ Key: `${id}${x}` })) },
      });
      await this.clearCache(id);
    }
  }

  /**
   * A write under the upload's lock (s3-lock.ts), its offset re-checked under it: @tus/server's
   * locker is per HTTP thread and per node, and two writes at one offset would otherwise both
   * build on the same parts and `.part` object.
   */
  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    const lease = await lockUpload(this.client, this.bucket, id, this.#lease);
    this.#writing.set(id, lease);
    try {
      // Not the stock getUpload (any S3 failure is "not found": 404 sends the client back to the
      // start), nor ours: the handler checked the expiry (the `.active` HEAD) before the lock.
      if ((await this.stored(id)).offset !== offset) throw ERRORS.INVALID_OFFSET;
      const end = await super.write(leased(lease, readable), id, offset);
      if (end > offset) {
        // An explicit length: with only an empty Body the SDK sees none and prints a warning
        // (console.warn, plain text on stderr) at every write; Node's own header is the same 0.
        await this.client.putObject({
          Bucket: this.bucket,
          Key: `${id}.active`,
          Body: '',
          ContentLength: 0,
        });
      }
      return end;
    } catch (err) {
      // A request of the stock write that failed (a part upload reset by an unreachable S3) is
      // S3's failure, 503: the client retries and resumes (raw, it was 500). tus's own answers
      // (409, 404: a status_code) pass as they are.
      const answer = (err as { status_code?: number } | undefined)?.status_code !== undefined;
      throw leaseError(lease, answer ? err : s3Error(err, this.where));
    } finally {
      // Only this write's entry: a stalled write that lost its lease may end after another write
      // on this node took the upload over and registered its own lease under the same id.
      if (this.#writing.get(id) === lease) this.#writing.delete(id);
      await lease.release();
    }
  }

  /**
   * The stock part uploads (S3Store runs them in the background while the body streams in), each
   * cancelled when the write's lease is lost: a part still on its way then (a slow or unreachable
   * S3) must not land after another write took the upload over.
   */
  protected override async uploadPart(
    metadata: MetadataValue,
    Body: ReadStream | Readable | Buffer,
    PartNumber: number,
  ): Promise<string> {
    const { file, 'upload-id': UploadId } = metadata;
    const abortSignal = this.#writing.get(file.id)?.signal;
    const out = await this.client.uploadPart(
      { Bucket: this.bucket, Key: file.id, UploadId, PartNumber, Body },
      { abortSignal },
    );
    return out.ETag as string;
  }

  /** The stock `.part` upload (a short trailing chunk), cancelled as the parts are. */
  protected override async uploadIncompletePart(
    id: string,
    Body: ReadStream | Readable,
  ): Promise<string> {
    const abortSignal = this.#writing.get(id)?.signal;
    const out = await this.client.putObject(
      {
        Bucket: this.bucket,
        Key: this.partKey(id, true),
        Body,
        Tagging: this.useCompleteTag('false'),
      },
      { abortSignal },
    );
    return out.ETag as string;
  }

  /**
   * Aborts the multipart uploads of tus uploads not written to for the expiry and deletes their
   * `.info`, `.part` and `.active` objects. The stock version lists every multipart upload of
   * the bucket: it would abort a video blob's upload in progress under `videos/` too (the blob
   * store's own start-up sweep handles those, with its own age). Tus ids are at the bucket root,
   * so keys with a `/` are spared. The listing is the blob store's (s3-common's
   * sweepStaleUploads, paged by its markers; `pageSize` uploads per page). Resolves to how many.
   */
  override async deleteExpired(pageSize?: number): Promise<number> {
    const expiry = this.getExpiration();
    if (expiry === 0) return 0;
    const now = Date.now();
    return sweepStaleUploads(this.client, this.bucket, '', expiry, 'tus expiry', now, {
      pageSize,
      // Not a tus upload, or written to since (its multipart upload ages from its creation).
      spare: async (id) => id.includes('/') || ((await this.lastWrite(id)) ?? 0) > now - expiry,
      aborted: async (id) => {
        await this.client.deleteObjects({
          Bucket: this.bucket,
          Delete: { Objects: ['.info', '.part', '.active'].map((x) => ({ Key: `${id}${x}` })) },
        });
        await this.clearCache(id);
      },
    });
  }
}

/** A metadata cache that never holds anything (see the header). */
const NO_CACHE = Object.freeze({
  get: async () => undefined,
  set: async () => {},
  delete: async () => {},
});

/** Preferred part size: as for blobs, 8 MiB (S3's minimum is 5 MiB). */
const PART_SIZE = 8 * 1024 * 1024;

export function s3TusStore(
  config: Pick<
    Config,
    | 's3Bucket'
    | 's3Endpoint'
    | 's3Region'
    | 's3ForcePathStyle'
    | 'tusExpiryMs'
    | 'tusLeaseRefreshMs'
    | 'tusLeaseStaleMs'
  >,
): S3Store {
  if (!config.s3Bucket) throw new TypeError('config.s3Bucket (S3_BUCKET) is required');
  return new CompletableS3Store(
    {
      partSize: PART_SIZE,
      cache: NO_CACHE,
      expirationPeriodInMilliseconds: config.tusExpiryMs,
      // Expiry tags are for bucket lifecycle rules; the lifecycle sweep removes expired uploads.
      useTags: false,
      s3ClientConfig: {
        bucket: config.s3Bucket,
        region: config.s3Region,
        forcePathStyle: config.s3ForcePathStyle,
        ...(config.s3Endpoint !== undefined && { endpoint: config.s3Endpoint }),
        logger: sdkLogger(),
      },
    },
    { refreshMs: config.tusLeaseRefreshMs, staleMs: config.tusLeaseStaleMs },
  );
}
