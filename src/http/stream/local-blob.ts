/**
 * The fast path for the filesystem blob store: one descriptor per download, and the store's
 * BlobInfo cached per file version so a hot video costs `open + fstat + read + close` instead of
 * the store's `stat` + sidecar read + its own open/read/close (eight thread-pool round trips).
 *
 * Invariants:
 * - a cached BlobInfo is keyed by (id, inode, size, mtime) of the file actually opened; blobs are
 *   replaced by rename (a new inode), so a hit always describes the bytes behind the descriptor;
 * - on a miss the store's `stat` is asked and its answer is cached only if its size matches the
 *   descriptor's (a replace between the two is retried once, then served from the store's view);
 * - the descriptor is owned by exactly one party: `take()` hands it to a read stream (which closes
 *   it on end/destroy); otherwise `release()` closes it; both are idempotent.
 */
import { close, createReadStream, fstat, open, type Stats, stat } from 'node:fs';
import type { BlobInfo, BlobStore } from '../../store/types.js';
import type { BodySource } from './send-body.js';

const CACHE_MAX = 4096;
const caches = new WeakMap<BlobStore, Map<string, { key: string; info: BlobInfo }>>();

function versionKey(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

function cacheOf(blobs: BlobStore): Map<string, { key: string; info: BlobInfo }> {
  let c = caches.get(blobs);
  if (!c) caches.set(blobs, (c = new Map()));
  return c;
}

/** The store's view of the version `st` describes; `stale` when the store saw another one. */
async function infoFor(
  blobs: BlobStore,
  id: string,
  st: Stats,
): Promise<BlobInfo | undefined | 'stale'> {
  const cache = cacheOf(blobs);
  const key = versionKey(st);
  const hit = cache.get(id);
  if (hit?.key === key) return hit.info;
  const info = await blobs.stat(id);
  if (!info) return undefined;
  if (info.size !== st.size) return 'stale';
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(id, { key, info });
  return info;
}

const openAsync = (path: string) =>
  new Promise<number>((ok, fail) => open(path, 'r', (e, fd) => (e ? fail(e) : ok(fd))));
const fstatAsync = (fd: number) =>
  new Promise<Stats>((ok, fail) => fstat(fd, (e, st) => (e ? fail(e) : ok(st))));
const statAsync = (path: string) =>
  new Promise<Stats>((ok, fail) => stat(path, (e, st) => (e ? fail(e) : ok(st))));

function isEnoent(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

export class LocalBlob {
  #fd: number | undefined;
  private constructor(
    readonly info: BlobInfo,
    fd: number | undefined,
  ) {
    this.#fd = fd;
  }

  /**
   * Opens blob `id` at `path` (withBody) or only stats it (HEAD). Undefined when it is missing.
   */
  static async open(
    blobs: BlobStore,
    id: string,
    path: string,
    withBody: boolean,
  ): Promise<LocalBlob | undefined> {
    // Two attempts: a replace landing between our open and the store's stat is retried once.
    for (let attempt = 0; ; attempt++) {
      const found = await LocalBlob.#try(blobs, id, path, withBody);
      if (found !== 'stale') return found;
      if (attempt === 1) throw new Error(`blob ${id} keeps changing under the reader`);
    }
  }

  static async #try(
    blobs: BlobStore,
    id: string,
    path: string,
    withBody: boolean,
  ): Promise<LocalBlob | undefined | 'stale'> {
    try {
      if (!withBody) {
        const info = await infoFor(blobs, id, await statAsync(path));
        return info === undefined || info === 'stale' ? info : new LocalBlob(info, undefined);
      }
      const fd = await openAsync(path);
      let info: BlobInfo | undefined | 'stale';
      try {
        info = await infoFor(blobs, id, await fstatAsync(fd));
      } catch (e) {
        close(fd, () => {});
        throw e;
      }
      if (info === undefined || info === 'stale') {
        close(fd, () => {});
        return info;
      }
      return new LocalBlob(info, fd);
    } catch (e) {
      if (isEnoent(e)) return undefined;
      throw e;
    }
  }

  /** A read stream over `start..end` that owns (and will close) the descriptor. */
  take(start: number, end: number, chunk: number): BodySource {
    const fd = this.#fd;
    if (fd === undefined) throw new Error('LocalBlob.take: opened without a body');
    this.#fd = undefined;
    return createReadStream('', { fd, start, end, highWaterMark: chunk, autoClose: true });
  }

  /** Closes the descriptor unless a stream took it. */
  release(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) close(fd, () => {});
  }
}
