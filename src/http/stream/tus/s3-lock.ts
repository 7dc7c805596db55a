/**
 * The lock between concurrent writes of one tus upload held in S3 (s3-store.ts): the lease of
 * lease.ts as an object `<id>.lock`, created with a conditional PutObject (`If-None-Match: *`,
 * so exactly one create succeeds; S3 answers 412 to the others), refreshed by rewriting it (its
 * LastModified moves). Ages compare S3's LastModified with this node's clock: they must agree
 * within LEASE_MS (NTP does far better).
 */
import type { S3 } from '@aws-sdk/client-s3';
import { takeLease } from './lease.js';

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** Takes the upload's lease or throws INVALID_OFFSET; resolves to its release. */
export function lockUpload(client: S3, bucket: string, id: string): Promise<() => Promise<void>> {
  const Key = `${id}.lock`;
  return takeLease({
    async create() {
      try {
        await client.putObject({ Bucket: bucket, Key, Body: '', IfNoneMatch: '*' });
        return true;
      } catch (err) {
        // 412: exists; 409: a concurrent conditional write of the same key is in progress.
        if (status(err) === 412 || status(err) === 409) return false;
        throw err;
      }
    },
    async age() {
      const held = await client.headObject({ Bucket: bucket, Key }).catch(() => undefined);
      const at = held?.LastModified?.getTime();
      return at === undefined ? undefined : Date.now() - at;
    },
    refresh: () => client.putObject({ Bucket: bucket, Key, Body: '' }),
    remove: () => client.deleteObject({ Bucket: bucket, Key }),
  });
}
