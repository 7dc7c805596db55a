/**
 * S3 plumbing shared by the blob store and its writer: error mapping, bucket creation, the
 * paged blob listing and the start-up sweep of abandoned multipart uploads.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { createLogger } from '../log.js';
import { StoreError, StoreUnavailableError } from './errors.js';
import { isUuid } from './validate.js';

interface SdkError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

export function httpStatus(e: unknown): number | undefined {
  return (e as SdkError | undefined)?.$metadata?.httpStatusCode;
}

/** NoSuchKey (GetObject), NotFound (HeadObject, whose 404 has no body), NoSuchUpload. */
export function isNotFound(e: unknown): boolean {
  const name = (e as SdkError | undefined)?.name;
  return (
    name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchUpload' || httpStatus(e) === 404
  );
}

/**
 * The logger every S3 client is given. Without one the SDK prints its own diagnostics with
 * console.warn ("An error was encountered in a non-retryable streaming request" when S3 fails
 * mid-upload), plain text on stderr; here they are JSON lines (scope `s3`). What the SDK passes
 * as objects (a record per request, with its input; on `error`, per failed request) is left out:
 * the callers report the failures that matter, with the endpoint, in their own lines.
 */
export function sdkLogger(): NonNullable<S3ClientConfig['logger']> {
  let log: ReturnType<typeof createLogger> | undefined;
  const say =
    (level: 'warn' | 'error') =>
    (...content: unknown[]) => {
      if (typeof content[0] !== 'string') return;
      log ??= createLogger('s3');
      log[level](content.join(' '));
    };
  const quiet = () => {};
  return { trace: quiet, debug: quiet, info: quiet, warn: say('warn'), error: say('error') };
}

/**
 * Any other SDK or network failure → ERR_STORE_UNAVAILABLE naming the endpoint and the S3 error
 * code (SignatureDoesNotMatch, AccessDenied, ECONNREFUSED …), never a credential.
 */
export function s3Error(e: unknown, where: string): StoreError {
  if (e instanceof StoreError) return e;
  const err = e as SdkError & { message?: string; code?: string };
  const code = err?.Code ?? err?.name ?? err?.code ?? 'Error';
  const status = httpStatus(e);
  return new StoreUnavailableError(
    `S3 (${where}) failed: ${code}${status ? ` (HTTP ${status})` : ''}: ${err?.message ?? String(e)}`,
    { cause: e },
  );
}

/**
 * Creates the bucket unless it exists. Several nodes starting at once may race: both win.
 * The probe is a one-key listing, not HeadBucket: a HEAD answer has no body, so a refusal would
 * lose its S3 error code (SignatureDoesNotMatch, AccessDenied …) and the message would say less.
 */
export async function ensureBucket(client: S3Client, bucket: string, where: string): Promise<void> {
  try {
    await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1 }));
    return;
  } catch (e) {
    if ((e as SdkError).name !== 'NoSuchBucket') throw s3Error(e, where);
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (e) {
    const name = (e as SdkError).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists')
      throw s3Error(e, where);
  }
}

/** What a caller of sweepStaleUploads adds to the sweep (the tus store's expiry). */
export interface SweepHooks {
  /** Leave this upload alone although it is old enough (not the caller's, written to since …). */
  spare?(key: string): boolean | Promise<boolean>;
  /** Runs after the upload of `key` was aborted (to remove the caller's objects beside it). */
  aborted?(key: string): Promise<unknown>;
  /** Uploads per listing page. @default the server's (1000 on AWS) */
  pageSize?: number;
}

/**
 * Aborts multipart uploads under `prefix` initiated more than `maxAgeMs` ago: what a node killed
 * mid-upload leaves behind (invisible, but billed). Uploads of live nodes are younger than any
 * sane `maxAgeMs`. A server without ListMultipartUploads only loses this clean-up, so a 501 is
 * tolerated; anything else is a real failure. Resolves to how many this call aborted.
 */
export async function sweepStaleUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
  maxAgeMs: number,
  where: string,
  now = Date.now(),
  hooks: SweepHooks = {},
): Promise<number> {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  try {
    for (let page = 0; page < 1000; page++) {
      const out = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
          MaxUploads: hooks.pageSize,
        }),
      );
      for (const u of out.Uploads ?? []) {
        if (!u.Key || !u.UploadId || (u.Initiated?.getTime() ?? now) > now - maxAgeMs) continue;
        if (await hooks.spare?.(u.Key)) continue;
        try {
          await client.send(
            new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
          );
        } catch (e) {
          if (!isNotFound(e)) throw e;
          // Aborted meanwhile by another sweeper, which may have died before its clean-up: the
          // clean-up again (deletes are idempotent), not counted as ours. Once the multipart
          // upload is gone, no later listing would name this key.
          await hooks.aborted?.(u.Key);
          continue;
        }
        aborted++;
        await hooks.aborted?.(u.Key);
      }
      if (!out.IsTruncated) break;
      keyMarker = out.NextKeyMarker;
      uploadIdMarker = out.NextUploadIdMarker;
    }
  } catch (e) {
    if (httpStatus(e) === 501) return aborted;
    throw s3Error(e, where);
  }
  return aborted;
}

/**
 * Every blob under `prefix` with its LastModified, one ListObjectsV2 page (`pageSize` keys) at a
 * time in key order. Keys that are not `<prefix><blob id>` (another application's objects,
 * nested names) are skipped.
 */
export async function* listBlobs(
  client: S3Client,
  bucket: string,
  prefix: string,
  pageSize: number,
  where: string,
): AsyncGenerator<{ id: string; mtime: number }> {
  let token: string | undefined;
  do {
    let out: ListObjectsV2CommandOutput;
    try {
      out = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          MaxKeys: pageSize,
          ContinuationToken: token,
        }),
      );
    } catch (e) {
      throw s3Error(e, where);
    }
    for (const o of out.Contents ?? []) {
      const id = o.Key?.slice(prefix.length) ?? '';
      if (isUuid(id)) yield { id, mtime: o.LastModified?.getTime() ?? 0 };
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token !== undefined);
}
