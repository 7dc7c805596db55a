/**
 * The tus data store for many-node deployments (BLOB_STORE=s3): uploads in progress live in the
 * same bucket as the videos (@tus/s3-store: an S3 multipart upload per tus upload, plus
 * `<id>.info` and, for a short trailing chunk, `<id>.part`), so any node can answer the next
 * HEAD or PATCH of an upload another node started — also after that node died. A per-node
 * FileStore would answer 404 there, since nginx spreads requests over the nodes.
 *
 * Upload ids are tus's random hex names at the bucket root; videos live under `videos/`, so
 * they never collide. The store's metadata cache is per process and only memoizes the `.info`
 * object, which never changes after creation; offsets are always read from S3.
 * Credentials come from the AWS SDK's standard chain, as for the blob store.
 */
import { S3Store } from '@tus/s3-store';
import type { Config } from '../../../config.js';

/**
 * S3Store whose `remove` also works after completion. The stock one first aborts the upload's
 * multipart upload; once completed that answers NoSuchUpload, it throws "not found" and never
 * deletes the assembled object and its `.info` — a full second copy of every video left in the
 * bucket. Here a completed upload's objects are deleted all the same (DeleteObjects is
 * idempotent).
 */
class CompletableS3Store extends S3Store {
  override async remove(id: string): Promise<void> {
    try {
      await super.remove(id);
    } catch (err) {
      // @tus/utils' FILE_NOT_FOUND (a transitive package: matched by shape, not imported).
      if ((err as { status_code?: number } | undefined)?.status_code !== 404) throw err;
      await this.client.deleteObjects({
        Bucket: this.bucket,
        Delete: { Objects: [{ Key: id }, { Key: `${id}.info` }, { Key: `${id}.part` }] },
      });
      await this.clearCache(id);
    }
  }
}

/** Preferred part size: as for blobs, 8 MiB (S3's minimum is 5 MiB). */
const PART_SIZE = 8 * 1024 * 1024;

export function s3TusStore(
  config: Pick<Config, 's3Bucket' | 's3Endpoint' | 's3Region' | 's3ForcePathStyle'>,
): S3Store {
  if (!config.s3Bucket) throw new TypeError('config.s3Bucket (S3_BUCKET) is required');
  return new CompletableS3Store({
    partSize: PART_SIZE,
    s3ClientConfig: {
      bucket: config.s3Bucket,
      region: config.s3Region,
      forcePathStyle: config.s3ForcePathStyle,
      ...(config.s3Endpoint !== undefined && { endpoint: config.s3Endpoint }),
    },
  });
}
