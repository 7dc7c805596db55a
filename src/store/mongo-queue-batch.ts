/**
 * The batch calls of the MongoDB deletion queue (mongo-queue.ts): bulk writes fenced on
 * `{_id: {$in: ids}, state: 'pending', owner}`, so a document another owner holds matches
 * nothing and is never written. Arguments are validated by the caller.
 *
 * MongoDB's updateMany/deleteMany report counts, not which documents they touched, so the ids
 * come from a query: for a renewal, after the write (a record lost in between is left out: the
 * answer can only be more cautious); for a completion, before it (see completeMany).
 */
import type { Collection } from 'mongodb';
import type { DeletionRecord } from './types.js';

export type DelDoc = Omit<DeletionRecord, 'videoId' | 'owner' | 'leaseUntil' | 'lastError'> & {
  _id: string;
  owner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
};

export type Run = <T>(fn: () => Promise<T>) => Promise<T>;

/** The fence of every write after a claim: only the records `owner` holds among `videoIds`. */
export function fenced(owner: string, videoIds: readonly string[]) {
  return { _id: { $in: [...videoIds] }, state: 'pending' as const, owner };
}

/** The ids of `videoIds` that `owner` holds now, each with its lease end (one query). */
export async function heldLeases(
  dels: Collection<DelDoc>,
  run: Run,
  owner: string,
  videoIds: readonly string[],
): Promise<Map<string, number>> {
  const projection = { _id: 1, leaseUntil: 1 };
  const docs = await run(() => dels.find(fenced(owner, videoIds), { projection }).toArray());
  return new Map(docs.map((d) => [d._id, d.leaseUntil ?? 0]));
}

export async function renewMany(
  dels: Collection<DelDoc>,
  run: Run,
  owner: string,
  videoIds: readonly string[],
  leaseMs: number,
  now: number,
): Promise<string[]> {
  if (videoIds.length === 0) return [];
  await run(() =>
    dels.updateMany(fenced(owner, videoIds), { $set: { leaseUntil: now + leaseMs } }),
  );
  const held = await heldLeases(dels, run, owner, videoIds);
  return videoIds.filter((id) => held.has(id));
}

/**
 * The ids we hold, then one fenced deleteMany over them. When it removed fewer than we held, a
 * lease ran out and another owner took some over in between: those still present are reported
 * not completed (one more query). A record the new owner also completed in that instant counts
 * for both, which the idempotent deletion makes harmless.
 */
export async function completeMany(
  dels: Collection<DelDoc>,
  run: Run,
  owner: string,
  videoIds: readonly string[],
): Promise<string[]> {
  if (videoIds.length === 0) return [];
  const held = await heldLeases(dels, run, owner, videoIds);
  if (held.size === 0) return [];
  const ids = [...held.keys()];
  const r = await run(() => dels.deleteMany(fenced(owner, ids)));
  if (r.deletedCount !== held.size) {
    const left = await run(() =>
      dels.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray(),
    );
    for (const d of left) held.delete(d._id);
  }
  // delete: an id given twice is completed once, as one call per id in order would report.
  return videoIds.filter((id) => held.delete(id));
}
