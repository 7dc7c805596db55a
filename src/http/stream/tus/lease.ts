/**
 * The lease that locks one tus upload for the duration of one write, over whatever storage
 * holds the uploads (a file beside it on fs, an object beside it in S3): the storage supplies
 * four operations, this file the protocol.
 *
 * - `create` makes the lease only if none exists (O_EXCL, `If-None-Match: *`): among every
 *   thread and node exactly one create succeeds;
 * - a write that finds the lease held answers 409 (INVALID_OFFSET): the client asks HEAD and
 *   resumes from the offset the holder leaves;
 * - the holder refreshes the lease every `leaseMs / 3`; a lease older than `leaseMs` belongs to a
 *   dead thread or node and is taken over: removed, then created again (two takers at that very
 *   moment could both win — a dead holder is rare, this double fault rarer);
 * - a lease that vanished between the failed create and the age check was released: the create
 *   is tried again, and nothing is removed that was not seen expired;
 * - released (removed) when the write ends, whatever the outcome; a refresh in flight is awaited
 *   first, or it could recreate the lease after the release.
 */
import { ERRORS } from '@tus/utils';

/** A lease not refreshed for this long is a dead writer's. */
export const LEASE_MS = 30_000;

export interface LeaseOps {
  /** Creates the lease if none exists; false when one does. */
  create(): Promise<boolean>;
  /** Milliseconds since the lease was created or last refreshed; undefined when there is none. */
  age(): Promise<number | undefined>;
  refresh(): Promise<unknown>;
  remove(): Promise<unknown>;
}

/** Takes the lease or throws INVALID_OFFSET; resolves to its release. */
export async function takeLease(ops: LeaseOps, leaseMs = LEASE_MS): Promise<() => Promise<void>> {
  for (let attempt = 0; !(await ops.create()); attempt++) {
    if (attempt > 0) throw ERRORS.INVALID_OFFSET; // another write of this upload is running
    const age = await ops.age();
    if (age === undefined) continue; // released meanwhile: try again, remove nothing
    if (age <= leaseMs) throw ERRORS.INVALID_OFFSET;
    await ops.remove().catch(() => {}); // a dead writer's lease ran out
  }
  let refreshing: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    refreshing = ops.refresh().catch(() => {});
  }, leaseMs / 3);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await refreshing;
    await ops.remove().catch(() => {});
  };
}
