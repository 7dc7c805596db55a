/**
 * Where a download's bytes come from.
 *
 * The generic path is `ctx.blobs.read(id, range)` (any BlobStore: GridFS, tests' fakes). For the
 * filesystem store we read the file ourselves with one `fs.createReadStream` and large chunks:
 * the store's reader wraps a FileHandle stream in an async generator with 64 KiB chunks, which
 * costs several promise hops and thread-pool round trips per chunk — measurable on 1 MiB ranges.
 *
 * The file's location is the FsBlobStore's documented layout (`<DATA_DIR>/videos/<id>`, see
 * src/store/index.ts and fs-blobs.ts), used only when the context's store is that class and
 * `blobStore` is 'fs', i.e. when the host opened it with `openStores(config)`. A store that
 * offers `localPath(id)` is asked instead. Blobs are replaced by rename, so an open descriptor
 * always reads one whole version; the range comes from the store's `stat` just before.
 */
import { join } from 'node:path';
import { FsBlobStore } from '../../store/fs-blobs.js';
import type { ServiceContext } from '../context.js';

/** Bytes per read: few thread-pool round trips, bounded memory per response (≤ 2 chunks held). */
export const READ_CHUNK = 512 * 1024;

interface WithLocalPath {
  localPath(id: string): string | undefined;
}

/** The blob's file when the store keeps blobs as local files, else undefined. */
export function localPath(ctx: ServiceContext, id: string): string | undefined {
  const blobs = ctx.blobs as unknown as Partial<WithLocalPath>;
  if (typeof blobs.localPath === 'function') return blobs.localPath(id);
  if (ctx.blobs instanceof FsBlobStore && ctx.config.blobStore === 'fs') {
    return join(ctx.config.dataDir, 'videos', id);
  }
  return undefined;
}
