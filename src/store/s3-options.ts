/**
 * Options of the S3 blob store: the type with its defaults, the frozen defaults, and validation
 * that names the bad option.
 */
import {
  BLOB_STORE_DEFAULTS,
  type BlobStoreOptions,
  checkListPageSize,
  checkMaxBytes,
} from './blob-common.js';
import { InvalidArgumentError } from './errors.js';

export interface S3BlobStoreOptions extends BlobStoreOptions {
  /** Bucket name (created at open when missing and `createBucket`). */
  bucket: string;
  /** Endpoint URL of an S3-compatible server. @default undefined → AWS S3 for `region` */
  endpoint?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key` (needed by most self-hosted servers). @default false */
  forcePathStyle?: boolean;
  /** @default undefined → the AWS SDK's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles …) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Key prefix; videos and posters live side by side under different prefixes. @default 'videos/' */
  prefix?: string;
  /** Multipart part size; blobs up to this size are one PutObject. ≥ 5 MiB (S3's minimum). @default 8 MiB */
  partSize?: number;
  /** Parts uploaded concurrently per writer (memory ≈ queueSize × partSize). @default 2 */
  queueSize?: number;
  /** Create the bucket at open when it does not exist. @default true */
  createBucket?: boolean;
  /** Multipart uploads under the prefix older than this are aborted at open (a crashed node's); Infinity = never. @default 24 h */
  staleUploadMs?: number;
}

export interface ResolvedS3Options {
  bucket: string;
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  credentials: S3BlobStoreOptions['credentials'];
  prefix: string;
  partSize: number;
  queueSize: number;
  createBucket: boolean;
  staleUploadMs: number;
  maxBytes: number;
  listPageSize: number;
}

const MIB = 1024 * 1024;

export const S3_BLOB_DEFAULTS = Object.freeze({
  region: 'us-east-1',
  forcePathStyle: false,
  prefix: 'videos/',
  partSize: 8 * MIB,
  queueSize: 2,
  createBucket: true,
  staleUploadMs: 24 * 3600_000,
  maxBytes: BLOB_STORE_DEFAULTS.maxBytes,
  listPageSize: BLOB_STORE_DEFAULTS.listPageSize,
});

function positiveInt(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new InvalidArgumentError(`options.${name} must be an integer ≥ ${min}`);
  }
  return v;
}

export function validateS3Options(options: S3BlobStoreOptions): ResolvedS3Options {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('options must be an object with a bucket');
  }
  // An option given as undefined takes its default (callers pass through optional settings).
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = { ...S3_BLOB_DEFAULTS, ...given } as typeof S3_BLOB_DEFAULTS & S3BlobStoreOptions;
  // S3 bucket naming rules (the subset every compatible server accepts).
  if (typeof o.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(o.bucket)) {
    throw new InvalidArgumentError(
      'options.bucket must be 3-63 characters of a-z, 0-9, "." and "-", starting and ending with a letter or digit',
    );
  }
  if (o.endpoint !== undefined) {
    let ok = false;
    try {
      const u = new URL(o.endpoint);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {}
    if (!ok) throw new InvalidArgumentError('options.endpoint must be an http(s) URL');
  }
  if (typeof o.region !== 'string' || !/^[a-z0-9-]{1,64}$/.test(o.region)) {
    throw new InvalidArgumentError('options.region must be a region name such as us-east-1');
  }
  if (typeof o.forcePathStyle !== 'boolean') {
    throw new InvalidArgumentError('options.forcePathStyle must be a boolean');
  }
  if (typeof o.createBucket !== 'boolean') {
    throw new InvalidArgumentError('options.createBucket must be a boolean');
  }
  if (typeof o.prefix !== 'string' || !/^[A-Za-z0-9._/-]{0,200}$/.test(o.prefix)) {
    throw new InvalidArgumentError(
      'options.prefix must be up to 200 characters of A-Z a-z 0-9 . _ / -',
    );
  }
  const c = o.credentials;
  if (
    c !== undefined &&
    (typeof c?.accessKeyId !== 'string' || typeof c.secretAccessKey !== 'string')
  ) {
    throw new InvalidArgumentError(
      'options.credentials needs accessKeyId and secretAccessKey strings',
    );
  }
  return {
    bucket: o.bucket,
    endpoint: o.endpoint,
    region: o.region,
    forcePathStyle: o.forcePathStyle,
    credentials: c,
    prefix: o.prefix,
    partSize: positiveInt('partSize', o.partSize, 5 * MIB),
    queueSize: positiveInt('queueSize', o.queueSize, 1),
    createBucket: o.createBucket,
    staleUploadMs:
      o.staleUploadMs === Number.POSITIVE_INFINITY
        ? o.staleUploadMs
        : positiveInt('staleUploadMs', o.staleUploadMs, 0),
    maxBytes: checkMaxBytes(o.maxBytes),
    listPageSize: checkListPageSize(o.listPageSize),
  };
}
