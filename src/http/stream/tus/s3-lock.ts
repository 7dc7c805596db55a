/**
 * The lock between concurrent writes of one tus upload held in S3 (s3-store.ts): the lease of
 * lease.ts as an object `<id>.lock`.
 *
 * Invariants:
 * - created with a conditional PutObject (`If-None-Match: *`): exactly one create succeeds, S3
 *   answers 412 to the others; its body is `<random token>:<n>`, so its ETag names this lease at
 *   its n-th refresh and no other object ever;
 * - refreshed by rewriting it with n + 1, conditioned on the ETag it had (`If-Match`): its
 *   LastModified moves, its ETag changes, and a lease taken over meanwhile is never recreated;
 * - its age is S3's clock against S3's clock: the `Date` of the HEAD response minus the object's
 *   LastModified (both whole seconds), so the nodes' clocks may disagree by any amount;
 * - taken over by a DeleteObject conditioned on the ETag seen stale (`If-Match`): of any number
 *   of takers exactly one delete succeeds, and a lease refreshed or recreated since is left alone
 *   (its ETag differs); the release is conditioned the same way (SeaweedFS, the dev server,
 *   implements conditional PutObject and DeleteObject atomically, as AWS S3 does).
 */
import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, type S3 } from '@aws-sdk/client-s3';
import { httpStatus } from '../../../store/s3-common.js';
import type { Lease, LeaseOps, LeaseTiming } from './lease.js';
import { takeLease } from './lease.js';

/** 412: the condition failed; 409: a concurrent conditional write of that key is in progress. */
function lostRace(err: unknown): boolean {
  return httpStatus(err) === 412 || httpStatus(err) === 409;
}

/** HeadObject plus the response's `Date` header (S3's clock at the answer). */
async function headWithDate(client: S3, Bucket: string, Key: string) {
  const cmd = new HeadObjectCommand({ Bucket, Key });
  let date: string | undefined;
  cmd.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      date = (out.response as { headers?: Record<string, string> }).headers?.date;
      return out;
    },
    { step: 'deserialize', name: 'tusLeaseServerDate' },
  );
  try {
    return { out: await client.send(cmd), date };
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw err;
  }
}

/** Takes the upload's lease or throws UploadLocked (423). */
export function lockUpload(
  client: S3,
  bucket: string,
  id: string,
  timing: LeaseTiming,
): Promise<Lease> {
  const Key = `${id}.lock`;
  const token = randomBytes(12).toString('hex');
  let beats = 0;
  let etag: string | undefined;
  const ops: LeaseOps = {
    async create() {
      try {
        const out = await client.putObject({
          Bucket: bucket,
          Key,
          Body: `${token}:${beats}`,
          IfNoneMatch: '*',
        });
        etag = out.ETag;
        return true;
      } catch (err) {
        if (lostRace(err)) return false;
        throw err;
      }
    },
    async inspect() {
      const held = await headWithDate(client, bucket, Key);
      const at = held?.out.LastModified?.getTime();
      const now = held?.date === undefined ? Number.NaN : Date.parse(held.date);
      if (at === undefined || held?.out.ETag === undefined) return undefined;
      // A server that sends no Date (none seen so far) would be aged by this node's clock.
      return { ageMs: (Number.isNaN(now) ? Date.now() : now) - at, version: held.out.ETag };
    },
    async takeOver(stale) {
      try {
        await client.deleteObject({ Bucket: bucket, Key, IfMatch: stale.version });
        return true;
      } catch (err) {
        if (lostRace(err) || httpStatus(err) === 404) return false;
        throw err;
      }
    },
    async refresh() {
      try {
        const out = await client.putObject({
          Bucket: bucket,
          Key,
          Body: `${token}:${beats + 1}`,
          IfMatch: etag,
        });
        beats++;
        etag = out.ETag;
        return true;
      } catch (err) {
        // 412: its ETag changed (taken over, maybe recreated by another write); 404: removed.
        if (httpStatus(err) === 412 || httpStatus(err) === 404) return false;
        throw err;
      }
    },
    remove: () => client.deleteObject({ Bucket: bucket, Key, IfMatch: etag }),
  };
  return takeLease(ops, timing);
}
