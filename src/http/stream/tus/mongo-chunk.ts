/**
 * One chunk document of MongoTusStore, and the insert that makes its `_id` a lock: the chunk
 * starting at an offset can be inserted by one write only (a unique `_id` is atomic on every
 * server, also on FerretDB, whose conditional updates are not). See mongo-store.ts for the
 * layout and the other invariants.
 */
import { ERRORS } from '@tus/utils';
import type { Binary, Collection } from 'mongodb';
import type { UploadDoc } from './mongo-store.js';

export interface ChunkDoc {
  _id: string;
  data: Binary;
  /** The write that inserted it. */
  token: string;
  /** When it was inserted. */
  at: Date;
}

/** A chunk inserted this long ago and still not part of its upload belongs to a dead write. */
export const STALE_CHUNK_MS = 30_000;

export function chunkId(id: string, offset: number): string {
  return `${id}/${String(offset).padStart(16, '0')}`;
}

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000;
}

/**
 * Inserts the chunk starting at `offset` of upload `id`, or throws INVALID_OFFSET (409) when
 * another write holds that offset. A chunk there that is older than STALE_CHUNK_MS while the
 * upload's offset still stands before it was left by a write that died before its update: it is
 * removed and the insert tried once more (two writes taking over at once: one insert wins, the
 * other gets 409).
 */
export async function insertChunk(
  uploads: Collection<UploadDoc>,
  chunks: Collection<ChunkDoc>,
  id: string,
  offset: number,
  chunk: ChunkDoc,
): Promise<void> {
  try {
    await chunks.insertOne(chunk);
    return;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  const [upload, held] = await Promise.all([
    uploads.findOne({ _id: id }, { projection: { offset: 1 } }),
    chunks.findOne({ _id: chunk._id }, { projection: { at: 1, token: 1 } }),
  ]);
  const stale =
    upload?.offset === offset && held !== null && held.at.getTime() < Date.now() - STALE_CHUNK_MS;
  if (!stale) throw ERRORS.INVALID_OFFSET;
  await chunks.deleteOne({ _id: chunk._id, token: held.token });
  try {
    await chunks.insertOne(chunk);
  } catch (err) {
    if (isDuplicateKey(err)) throw ERRORS.INVALID_OFFSET;
    throw err;
  }
}
