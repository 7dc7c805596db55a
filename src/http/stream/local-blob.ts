/**
 * The open-file cache of the filesystem blob store's fast path (nginx's open_file_cache, minus
 * its validity window): per HTTP thread and store, each hot blob keeps one open descriptor, its
 * BlobInfo and its response validators, so a hit costs one `fstat` of that descriptor and no
 * open/close, no thread-pool round trip and no promise. Only a miss asks the store (`stat`
 * + its sidecar).
 *
 * Invariants (a replaced or deleted blob is never served stale, on any thread):
 * - every request checks its cached descriptor with one `fstat` (no path walk): a hit requires
 *   the file to still have a name (nlink > 0) and the size and mtime cached with it. The store
 *   replaces a blob by renaming a new file onto its name and deletes by unlinking (fs-blobs.ts;
 *   blobs are never hard-linked), so either drops the old inode's link count to 0 while the
 *   cache holds it open — seen by the next request on every thread and process without any
 *   broadcast. (A filesystem that keeps unlinked open files named, e.g. NFS's silly rename, would
 *   defeat this; the fs store is for local disks.) A dropped entry falls back to a `stat` of the
 *   path: missing → 404.
 * - on a miss the store's answer is cached only if its size matches the descriptor's; a replace
 *   landing between our open and the store's stat is retried once.
 * - a descriptor is closed exactly once, when its entry has left the cache (replaced, missing,
 *   evicted) and the last response reading it released it (`refs`): streams that started on the
 *   old version finish on it.
 */
import { closeSync, fstatSync, openSync, type Stats, statSync } from 'node:fs';
import type { BlobInfo, BlobStore } from '../../store/types.js';

/** Open descriptors kept per thread and store (each costs one fd). */
const CACHE_MAX = 256;

/** One cached file version. Acquire with `openBlob`, give back with `release()` exactly once. */
export class OpenBlob {
  /** One for the cache while cached, one per response using it. */
  #refs = 1;
  readonly size: number;
  readonly mtimeMs: number;
  /** Last-Modified, formatted once per version. */
  readonly lastModified: string;
  constructor(
    readonly path: string,
    readonly fd: number,
    st: Stats,
    readonly info: BlobInfo,
  ) {
    this.size = st.size;
    this.mtimeMs = st.mtimeMs;
    this.lastModified = new Date(info.mtime).toUTCString();
  }

  /** Still the file at its path: linked, same size and mtime (fstat of the open descriptor). */
  current(): boolean {
    const st = fstatSync(this.fd);
    return st.nlink > 0 && st.size === this.size && st.mtimeMs === this.mtimeMs;
  }

  acquire(): this {
    this.#refs++;
    return this;
  }

  release(): void {
    if (--this.#refs === 0) closeSync(this.fd);
  }
}

type Cache = Map<string, OpenBlob>;
const caches = new WeakMap<BlobStore, Cache>();

function cacheOf(blobs: BlobStore): Cache {
  let c = caches.get(blobs);
  if (!c) caches.set(blobs, (c = new Map()));
  return c;
}

function drop(cache: Cache, id: string, entry: OpenBlob): void {
  if (cache.get(id) === entry) cache.delete(id);
  entry.release(); // the cache's reference
}

/**
 * The current version of blob `id` (at the store's localPath), acquired (call `release()` once done), or
 * undefined when the file is missing. Synchronous on a cache hit.
 */
export function openBlob(
  blobs: BlobStore & { localPath(id: string): string },
  id: string,
): OpenBlob | undefined | Promise<OpenBlob | undefined> {
  const cache = cacheOf(blobs);
  const cached = cache.get(id);
  if (cached) {
    if (cached.current()) return cached.acquire();
    drop(cache, id, cached);
  }
  const path = cached?.path ?? blobs.localPath(id);
  if (!statSync(path, { throwIfNoEntry: false })) return undefined;
  return openSlow(blobs, cache, id, path);
}

async function openSlow(
  blobs: BlobStore,
  cache: Cache,
  id: string,
  path: string,
): Promise<OpenBlob | undefined> {
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw e;
    }
    let info: BlobInfo | undefined;
    let st: Stats;
    try {
      st = fstatSync(fd);
      info = await blobs.stat(id);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    if (!info) {
      closeSync(fd);
      return undefined;
    }
    if (info.size === st.size) {
      const entry = new OpenBlob(path, fd, st, info);
      // Another request may have filled the slot meanwhile: the newer entry wins either way.
      const old = cache.get(id);
      if (old) drop(cache, id, old);
      if (cache.size >= CACHE_MAX) {
        const [oldestId, oldest] = cache.entries().next().value!;
        drop(cache, oldestId, oldest);
      }
      cache.set(id, entry);
      return entry.acquire();
    }
    closeSync(fd); // the store saw another version than the one we opened
    if (attempt === 1) throw new Error(`blob ${id} keeps changing under the reader`);
  }
}
