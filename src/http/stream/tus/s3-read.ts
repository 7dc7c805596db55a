/**
 * The read side of the S3 tus store (s3-store.ts): how an upload is read, and how a read tells an
 * S3 that failed from an upload that is gone.
 * - S3Store reports any failure to read `.info` as "not found", and a 404 sends tus-js-client to
 *   start the upload over: on "not found" `.info` is read again to tell why, and an S3 that
 *   failed is ERR_STORE_UNAVAILABLE (503: the client retries and resumes), also when it answers
 *   now; "not found" only when S3 says there is no such key (or refuses the key: 400);
 * - expiry counts from the last write (the tus expiration extension): a write that stored bytes
 *   rewrites the empty object `<id>.active`, and `getUpload` reports the later of the creation
 *   and its LastModified as the `creation_date` @tus/server ages by, so `Upload-Expires` moves
 *   forward while the upload progresses. (LastModified is S3's clock against this node's: they
 *   must agree within a small part of TUS_EXPIRY_MS, hours by default.)
 * - the caller check of server.ts needs only whose the upload is: `getUploadMetadata` reads the
 *   `.info` alone (one GetObject of the four requests `getUpload` makes).
 */
import { S3Store, type Options as S3StoreOptions } from '@tus/s3-store';
import { ERRORS, type Upload } from '@tus/utils';
import { StoreUnavailableError } from '../../../store/errors.js';
import { httpStatus, isNotFound, s3Error } from '../../../store/s3-common.js';

export class ReadingS3Store extends S3Store {
  /** Names the bucket in failures. */
  protected readonly where: string;

  constructor(options: S3StoreOptions) {
    super(options);
    this.where = `bucket ${this.bucket}`;
  }

  /**
   * The upload, its `creation_date` moved to its last write (see the header): what
   * @tus/server's HEAD and PATCH handlers age it by (410). The one HEAD of `.active` per request.
   */
  override async getUpload(id: string): Promise<Upload> {
    const [found, head] = await Promise.allSettled([this.stored(id), this.lastWrite(id)]);
    if (found.status === 'rejected') throw found.reason;
    if (head.status === 'rejected') throw head.reason;
    const [upload, written] = [found.value, head.value];
    const created = upload.creation_date ? Date.parse(upload.creation_date) : 0;
    if (written !== undefined && written > created) {
      upload.creation_date = new Date(written).toISOString();
    }
    return upload;
  }

  /** The upload's metadata alone (one GetObject): what server.ts checks a caller against. */
  async getUploadMetadata(id: string): Promise<Upload['metadata']> {
    return (await this.info(id)).file.metadata;
  }

  /**
   * The upload as S3Store reads it (`.info`, parts, `.part`), without its last write; its "not
   * found" stands only once `info` confirms it (see the header), else S3 failed: 503.
   */
  protected async stored(id: string): Promise<Upload> {
    try {
      return await super.getUpload(id);
    } catch (err) {
      if (err !== ERRORS.FILE_NOT_FOUND) throw s3Error(err, this.where);
      await this.info(id);
      throw new StoreUnavailableError(`S3 (${this.where}) failed to read tus upload ${id}`);
    }
  }

  /** The upload's `.info` as S3Store reads it; "not found" only when S3 says there is none. */
  protected async info(id: string) {
    try {
      return await this.getMetadata(id);
    } catch (err) {
      // 400: a key S3 refuses, so no upload of that id exists either.
      if (isNotFound(err) || httpStatus(err) === 400) throw ERRORS.FILE_NOT_FOUND;
      throw s3Error(err, this.where);
    }
  }

  /** When a write last stored bytes of upload `id` (S3's clock); undefined: never. */
  protected async lastWrite(id: string): Promise<number | undefined> {
    try {
      const head = await this.client.headObject({ Bucket: this.bucket, Key: `${id}.active` });
      return head.LastModified?.getTime();
    } catch (err) {
      if (httpStatus(err) === 404) return undefined;
      throw s3Error(err, this.where);
    }
  }
}
