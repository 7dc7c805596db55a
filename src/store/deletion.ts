/**
 * Deletion-queue rules shared by the adapters, so both decide "claimable" the same way.
 *
 * States: `pending` (enqueued; claimable when notBefore ≤ now and no live lease) and `dead`
 * (attempts reached maxAttempts; kept for an operator, never claimed). A claim sets
 * `owner` + `leaseUntil`; complete removes the record; fail clears the lease and either sets a
 * later `notBefore` (retry) or moves to `dead`. Every write after the claim is fenced on owner.
 */
import type { DeletionRecord } from './types.js';

export function newDeletion(videoId: string, now: number): DeletionRecord {
  return {
    videoId,
    enqueuedAt: now,
    state: 'pending',
    attempts: 0,
    owner: undefined,
    leaseUntil: undefined,
    notBefore: now,
    lastError: undefined,
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
  };
}
