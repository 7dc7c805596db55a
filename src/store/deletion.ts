/**
 * Deletion-queue rules shared by the adapters, so both decide "claimable" the same way.
 *
 * States: `pending` (enqueued; claimable when notBefore ≤ now and no live lease) and `dead`
 * (attempts reached maxAttempts; kept for an operator, never claimed). A claim sets
 * `owner` + `leaseUntil`; complete removes the record; fail clears the lease and either sets a
 * later `notBefore` (retry) or moves to `dead`. Every write after the claim is fenced on owner.
 */
import type { DeletionFailure, DeletionRecord } from './types.js';
import * as v from './validate.js';

/** The key `requestId` only when there is one (stored rows stay as before without). */
export function newDeletion(videoId: string, now: number, requestId?: string): DeletionRecord {
  return {
    videoId,
    enqueuedAt: now,
    state: 'pending',
    attempts: 0,
    owner: undefined,
    leaseUntil: undefined,
    notBefore: now,
    lastError: undefined,
    ...(requestId === undefined ? {} : { requestId }),
  };
}

/** A lease ending exactly at `now` has expired (leaseUntil is exclusive). */
export function claimable(d: DeletionRecord, now: number): boolean {
  return (
    d.state === 'pending' &&
    d.notBefore <= now &&
    (d.leaseUntil === undefined || d.leaseUntil <= now)
  );
}

/** Normalizes a stored row (nulls from MongoDB/msgpack, extra fields) into the port's shape. */
export function toDeletion(row: {
  videoId?: string;
  _id?: string;
  enqueuedAt: number;
  state: 'pending' | 'dead';
  attempts: number;
  owner?: string | null;
  leaseUntil?: number | null;
  notBefore: number;
  lastError?: string | null;
  requestId?: string | null;
}): DeletionRecord {
  return {
    videoId: (row.videoId ?? row._id) as string,
    enqueuedAt: row.enqueuedAt,
    state: row.state,
    attempts: row.attempts,
    owner: row.owner ?? undefined,
    leaseUntil: row.leaseUntil ?? undefined,
    notBefore: row.notBefore,
    lastError: row.lastError ?? undefined,
    ...(row.requestId ? { requestId: row.requestId } : {}),
  };
}

/** Validates a failDeletions batch (both adapters); each error truncated as failDeletion does. */
export function checkFailures(
  failures: readonly DeletionFailure[],
): Array<{ videoId: string; lastError: string; retryAt: number }> {
  v.checkIds(Array.isArray(failures) ? failures.map((f) => f?.videoId) : failures);
  return failures.map((f) => ({
    videoId: f.videoId,
    retryAt: v.checkTime('retryAt', f.retryAt),
    lastError: v.truncateError(f.error),
  }));
}
