/**
 * Storage: the port (types.ts), its adapters and `openStores`, the one way services get them.
 *
 * Records: LMDB under `<dataDir>/db` unless `config.mongodbUri` is set, then MongoDB.
 * Blobs: files under `<dataDir>/videos` (`blobStore: 'fs'`), GridFS bucket `videos` in the
 * same MongoDB (`'gridfs'`), or keys `videos/<id>` in an S3 bucket (`'s3'`; credentials from the
 * AWS SDK's standard chain, e.g. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). Call `openStores`
 * once per thread: LMDB shares one environment across threads and processes; MongoDB gets a small
 * pool (maxPoolSize 5) per thread, S3 one client.
 */
import { join } from 'node:path';
import type { Config } from '../config.js';
import { InvalidArgumentError } from './errors.js';
import { FsBlobStore } from './fs-blobs.js';
import { GridFsBlobStore } from './gridfs-blobs.js';
import { LmdbRecordStore } from './lmdb-records.js';
import { connectMongo, type MongoConnectOptions } from './mongo-connect.js';
import { MongoRecordStore } from './mongo-records.js';
import { S3BlobStore } from './s3-blobs.js';
import type { BlobStore, DeletionQueue, RecordStore } from './types.js';

export * from './errors.js';
export { FsBlobStore, type FsBlobStoreOptions } from './fs-blobs.js';
export { GridFsBlobStore, type GridFsBlobStoreOptions } from './gridfs-blobs.js';
export { LmdbRecordStore } from './lmdb-records.js';
export { describeMongoUri, type MongoConnectOptions } from './mongo-connect.js';
export { MongoRecordStore } from './mongo-records.js';
export { S3_BLOB_DEFAULTS, S3BlobStore, type S3BlobStoreOptions } from './s3-blobs.js';
export type * from './types.js';
export { foldUserName } from './user-name.js';
export { isUuid, lowerUuid, STORE_LIMITS } from './validate.js';
export { isListed, posterBlobId, searchWords, VISIBILITIES } from './video-fields.js';

export interface Stores {
  records: RecordStore;
  /** The deletion queue, sharing the records' LMDB environment or MongoDB client. */
  queue: DeletionQueue;
  blobs: BlobStore;
  /** Closes all three (and the MongoDB client); idempotent. */
  close(): Promise<void>;
}

type StoreConfig = Pick<Config, 'dataDir' | 'mongodbUri' | 'blobStore'> &
  Partial<
    Pick<Config, 'maxUploadBytes' | 's3Endpoint' | 's3Bucket' | 's3Region' | 's3ForcePathStyle'>
  >;

/** The S3 store of `config` (BLOB_STORE=s3): one client per thread, bucket created if missing. */
function openS3(config: StoreConfig, maxBytes: number): Promise<S3BlobStore> {
  if (!config.s3Bucket) throw new InvalidArgumentError('BLOB_STORE=s3 needs S3_BUCKET');
  return S3BlobStore.open({
    bucket: config.s3Bucket,
    endpoint: config.s3Endpoint,
    region: config.s3Region,
    forcePathStyle: config.s3ForcePathStyle,
    maxBytes,
  });
}

export async function openStores(
  config: StoreConfig,
  mongoOptions: MongoConnectOptions = {},
): Promise<Stores> {
  const maxBytes = config.maxUploadBytes ?? Number.POSITIVE_INFINITY;
  if (config.blobStore === 'gridfs' && !config.mongodbUri) {
    throw new InvalidArgumentError('BLOB_STORE=gridfs needs MONGODB_URI');
  }
  let records: LmdbRecordStore | MongoRecordStore;
  let blobs: BlobStore;
  let closeClient = async () => {};
  if (config.mongodbUri) {
    const { client, db, where } = await connectMongo(config.mongodbUri, mongoOptions);
    closeClient = () => client.close();
    try {
      records = await MongoRecordStore.fromDb(client, db, where);
      blobs =
        config.blobStore === 'gridfs'
          ? new GridFsBlobStore(db, { maxBytes, where })
          : config.blobStore === 's3'
            ? await openS3(config, maxBytes)
            : await FsBlobStore.open({ dir: join(config.dataDir, 'videos'), maxBytes });
    } catch (e) {
      await client.close().catch(() => {});
      throw e;
    }
  } else {
    records = LmdbRecordStore.open(config.dataDir);
    try {
      blobs =
        config.blobStore === 's3'
          ? await openS3(config, maxBytes)
          : await FsBlobStore.open({ dir: join(config.dataDir, 'videos'), maxBytes });
    } catch (e) {
      await records.close().catch(() => {});
      throw e;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    records,
    queue: records.queue,
    blobs,
    close() {
      closing ??= (async () => {
        await Promise.allSettled([records.close(), blobs.close()]);
        await closeClient();
      })();
      return closing;
    },
  };
}
