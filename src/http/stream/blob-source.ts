/**
 * Whether a blob is a local file we may read ourselves.
 *
 * The generic path is `ctx.blobs.read(id, range)` (any BlobStore: GridFS, tests' fakes), which for
 * the filesystem store wraps a FileHandle stream in an async generator with 64 KiB chunks: several
 * promise hops and thread-pool round trips per chunk. For files we use local-blob.ts (sync open,
 * cached info) and send-file.ts (pull-driven sync reads) instead.
 *
 * A store that keeps blobs as local files declares it through the BlobStore port's optional
 * `localPath(id)` capability (the filesystem store does). Blobs are replaced by rename, so an open
 * descriptor always reads one whole version.
 */
import type { ServiceContext } from '../context.js';

/** The blob's file when the store keeps blobs as local files, else undefined. */
export function localPath(ctx: ServiceContext, id: string): string | undefined {
  return ctx.blobs.localPath?.(id);
}
