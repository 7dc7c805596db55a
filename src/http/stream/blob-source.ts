/**
 * Whether a blob is a local file we may read ourselves.
 *
 * The generic path is `ctx.blobs.read(id, range)` (any BlobStore: GridFS, tests' fakes), which for
 * the filesystem store wraps a FileHandle stream in an async generator with 64 KiB chunks: several
 * promise hops and thread-pool round trips per chunk. For files we use local-blob.ts (sync open,
 * cached info) and send-file.ts (pull-driven sync reads) instead.
 *
 * The file's location is the FsBlobStore's documented layout (`<DATA_DIR>/videos/<id>`, see
 * src/store/index.ts and fs-blobs.ts), used only when the context's store is that class and
 * `blobStore` is 'fs', i.e. when the host opened it with `openStores(config)`. A store that
 * offers `localPath(id)` is asked instead. Blobs are replaced by rename, so an open descriptor
 * always reads one whole version.
 */
import { join } from 'node:path';
import { FsBlobStore } from '../../store/fs-blobs.js';
import type { ServiceContext } from '../context.js';

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
