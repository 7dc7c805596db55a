/**
 * The chunk documents of MongoTusStore (see mongo-store.ts for the layout and the other
 * invariants), and the queries on its uploads that go with them (storing a chunk, reading the
 * bytes back, finding the uploads left idle):
 * - a claim `<id>/<offset>` (no data): inserted by the one write that may store the chunk
 *   starting at that offset — a unique `_id` is atomic on every server, also on FerretDB, whose
 *   conditional updates are not;
 * - the data `<id>/<offset>/<token>`: the bytes of that write (its token), the id the upload
 *   lists once its offset moved past them. A write whose claim was taken over (it stalled past
 *   TUS_LEASE_STALE_MS) may still move the offset if it gets there first: the upload then lists
 *   its own bytes, never another write's stored under the same id, and the other write's offset
 *   update finds nothing to move.
 */
import { ERRORS } from '@tus/utils';
import { Binary, type Collection } from 'mongodb';
import { uploadLocked } from './lease.js';
import type { UploadDoc } from './mongo-store.js';

export interface ChunkDoc {
  _id: string;
  /** The bytes; none in a claim. (A claim of the previous release held its bytes too.) */
  data?: Binary;
  /** The write that inserted it. */
  token: string;
  /** When it was inserted. */
  at: Date;
}

/** The claim on the chunk starting at `offset`. */
export function claimId(id: string, offset: number): string {
  return `${id}/${String(offset).padStart(16, '0')}`;
}

/** The bytes write `token` stores at `offset`. */
export function dataId(id: string, offset: number, token: string): string {
  return `${claimId(id, offset)}/${token}`;
}

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000;
}

/**
 * Claims the chunk starting at `offset` of upload `id` for write `token`, or throws
 * UploadLocked (423) when another write holds that offset. A claim there that is older than
 * `staleMs` (TUS_LEASE_STALE_MS) while the upload's offset still stands before it was left by a
 * write that died (or stalled) before its update: it is removed (by its token: of two takers, one
 * delete counts) and the insert tried once more (two writes taking over at once: one insert
 * wins, the other gets 423).
 */
export async function claimOffset(
  uploads: Collection<UploadDoc>,
  chunks: Collection<ChunkDoc>,
  id: string,
  offset: number,
  token: string,
  staleMs: number,
): Promise<void> {
  const claim = { _id: claimId(id, offset), token, at: new Date() };
  try {
    await chunks.insertOne(claim);
    return;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  const [upload, held] = await Promise.all([
    uploads.findOne({ _id: id }, { projection: { offset: 1 } }),
    chunks.findOne({ _id: claim._id }, { projection: { at: 1, token: 1 } }),
  ]);
  if (upload?.offset !== offset) throw ERRORS.INVALID_OFFSET; // the upload moved on
  if (held === null) throw uploadLocked(1000); // its holder just moved the offset past it
  const age = Date.now() - held.at.getTime();
  if (age <= staleMs) throw uploadLocked(staleMs - age);
  await chunks.deleteOne({ _id: claim._id, token: held.token });
  try {
    await chunks.insertOne({ ...claim, at: new Date() });
  } catch (err) {
    if (isDuplicateKey(err)) throw uploadLocked(staleMs);
    throw err;
  }
}

/**
 * Stores `data` as the chunk of upload `id` starting at `offset`, for write `token`: claims the
 * offset (claimOffset), inserts the bytes (acknowledged before the offset moves past them), then
 * moves the offset past them listing them, in one update conditioned on the offset still being
 * `offset`. When that matches nothing — the upload was removed, or a write that took this one's
 * claim over moved the offset first — these bytes are not part of it: they and the claim are
 * deleted, and it throws INVALID_OFFSET (409).
 */
export async function storeChunk(
  uploads: Collection<UploadDoc>,
  chunks: Collection<ChunkDoc>,
  id: string,
  offset: number,
  token: string,
  data: Buffer,
  staleMs: number,
): Promise<void> {
  await claimOffset(uploads, chunks, id, offset, token, staleMs);
  const did = dataId(id, offset, token);
  await chunks.insertOne({ _id: did, data: new Binary(data), token, at: new Date() });
  const moved = await uploads.updateOne(
    { _id: id, offset },
    {
      $set: { offset: offset + data.length, last_write: new Date().toISOString() },
      $push: { chunks: did },
    },
  );
  if (moved.matchedCount === 0) {
    await chunks.deleteOne({ _id: did }).catch(() => {});
    await chunks.deleteOne({ _id: claimId(id, offset), token }).catch(() => {});
    throw ERRORS.INVALID_OFFSET;
  }
}

/**
 * The bytes of upload `id` in order, chunk by chunk, from the ids its `chunks` lists — whatever
 * their format (the earlier `<id>/<offset>/<token>` ids of an upload begun before the upgrade
 * read the same), a few documents per query, so memory stays at a few MiB whatever the size.
 */
export async function* readChunks(
  uploads: Collection<UploadDoc>,
  chunks: Collection<ChunkDoc>,
  id: string,
): AsyncGenerator<Buffer> {
  const doc = await uploads.findOne({ _id: id }, { projection: { offset: 1, chunks: 1 } });
  if (!doc) throw ERRORS.FILE_NOT_FOUND;
  let at = 0;
  for (let i = 0; i < doc.chunks.length; i += 4) {
    const ids = doc.chunks.slice(i, i + 4);
    const found = new Map<string, ChunkDoc>();
    for (const c of await chunks.find({ _id: { $in: ids } }).toArray()) found.set(c._id, c);
    for (const cid of ids) {
      const chunk = found.get(cid);
      if (!chunk?.data) throw ERRORS.FILE_NO_LONGER_EXISTS;
      const u8 = chunk.data.read(0, chunk.data.length());
      at += u8.byteLength;
      yield Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    }
  }
  if (at !== doc.offset) throw ERRORS.FILE_NO_LONGER_EXISTS;
}

/**
 * Up to `limit` ids of uploads not written to (or, never written to, created) since `cutoff`, an
 * ISO-8601 UTC string: string order is time order.
 */
export async function idleSince(
  uploads: Collection<UploadDoc>,
  cutoff: string,
  limit: number,
): Promise<string[]> {
  const idle = {
    $or: [
      { last_write: { $lt: cutoff } },
      { last_write: { $exists: false }, creation_date: { $lt: cutoff } },
    ],
  };
  const page = await uploads
    .find(idle, { projection: { _id: 1 } })
    .limit(limit)
    .toArray();
  return page.map((u) => u._id);
}
