/**
 * The lock between concurrent writes of one tus upload held in S3 (s3-store.ts): a lease object
 * `<id>.lock` created with a conditional PutObject (`If-None-Match: *`), so among every thread
 * and node exactly one create succeeds (S3 answers 412 to the others).
 *
 * - a write that finds the lock held answers 409 (INVALID_OFFSET): the client asks HEAD and
 *   resumes from the offset the holder leaves;
 * - the holder rewrites the object every LEASE_MS / 3 (its LastModified moves); a lock older
 *   than LEASE_MS belongs to a dead thread or node and is taken over (deleted, then created
 *   conditionally again: one of several takers wins). Ages compare S3's LastModified with this
 *   node's clock: they must agree within LEASE_MS (NTP does far better);
 * - released (deleted) when the write ends, whatever the outcome.
 */
import type { S3 } from '@aws-sdk/client-s3';
import { ERRORS } from '@tus/utils';

/** A lock not refreshed for this long is a dead writer's (S3 times are whole seconds). */
export const LEASE_MS = 30_000;

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** Takes the upload's lease or throws INVALID_OFFSET; resolves to its release. */
export async function lockUpload(
  client: S3,
  bucket: string,
  id: string,
): Promise<() => Promise<void>> {
  const Key = `${id}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      await client.putObject({ Bucket: bucket, Key, Body: '', IfNoneMatch: '*' });
      break;
    } catch (err) {
      // 412: exists; 409: a concurrent conditional write of the same key is in progress.
      if (status(err) !== 412 && status(err) !== 409) throw err;
      if (attempt > 0) throw ERRORS.INVALID_OFFSET;
      const held = await client.headObject({ Bucket: bucket, Key }).catch(() => undefined);
      const at = held?.LastModified?.getTime();
      // Gone since (released, or not yet visible): just try again — never delete what we did
      // not see expire, it may be a lock taken a moment ago.
      if (at === undefined) continue;
      if (Date.now() - at <= LEASE_MS) throw ERRORS.INVALID_OFFSET;
      await client.deleteObject({ Bucket: bucket, Key }).catch(() => {}); // a dead writer's
    }
  }
  // The refresh in flight is awaited before the delete, or it could recreate the lock after it.
  let refresh: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    refresh = client.putObject({ Bucket: bucket, Key, Body: '' }).catch(() => {});
  }, LEASE_MS / 3);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await refresh;
    await client.deleteObject({ Bucket: bucket, Key }).catch(() => {});
  };
}
