/**
 * One chunk document of MongoTusStore, and the insert that makes its `_id` a lock: the chunk
 * starting at an offset can be inserted by one write only (a unique `_id` is atomic on every
 * server, also on FerretDB, whose conditional updates are not). See mongo-store.ts for the
 * layout and the other invariants.
 */
import { ERRORS } from '@tus/utils';
import type { Binary, Collection } from 'mongodb';
import { uploadLocked } from './lease.js';
import type { UploadDoc } from './mongo-store.js';

export interface ChunkDoc {
  _id: string;
  data: Binary;
  /** The write that inserted it. */
  token: string;
  /** When it was inserted. */
  at: Date;
}

export function chunkId(id: string, offset: number): string {
  return `${id}/${String(offset).padStart(16, '0')}`;
}

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000;
}

/**
 * Inserts the chunk starting at `offset` of upload `id`, or throws UploadLocked (423) when
 * another write holds that offset. A chunk there that is older than `staleMs` (TUS_LEASE_STALE_MS)
 * while the upload's offset still stands before it was left by a write that died before its
 * update: it is removed (by its token: of two takers, one delete counts) and the insert tried
 * once more (two writes taking over at once: one insert wins, the other gets 423).
 */
export async function insertChunk(
  uploads: Collection<UploadDoc>,
  chunks: Collection<ChunkDoc>,
  id: string,
  offset: number,
  chunk: ChunkDoc,
  staleMs: number,
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
  if (upload?.offset !== offset) throw ERRORS.INVALID_OFFSET; // the upload moved on
  if (held === null) throw uploadLocked(1000); // its holder just moved the offset past it
  const age = Date.now() - held.at.getTime();
  if (age <= staleMs) throw uploadLocked(staleMs - age);
  await chunks.deleteOne({ _id: chunk._id, token: held.token });
  try {
    await chunks.insertOne(chunk);
  } catch (err) {
    if (isDuplicateKey(err)) throw uploadLocked(staleMs);
    throw err;
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
      if (!chunk) throw ERRORS.FILE_NO_LONGER_EXISTS;
      const u8 = chunk.data.read(0, chunk.data.length());
      at += u8.byteLength;
      yield Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
    }
  }
  if (at !== doc.offset) throw ERRORS.FILE_NO_LONGER_EXISTS;
}
