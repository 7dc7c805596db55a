/**
 * The fast path for the filesystem blob store: the file is opened and stat'ed synchronously on
 * the HTTP thread (page-cache metadata calls of a few microseconds, as nginx does them), and the
 * store's BlobInfo is cached per file version, so a hot video costs `open + fstat + read + close`
 * and no thread-pool round trip at all. Only a cache miss asks the store (`stat` + its sidecar).
 *
 * Invariants:
 * - a cached BlobInfo is keyed by (id, inode, size, mtime) of the file actually opened; blobs are
 *   replaced by rename (a new inode), so a hit always describes the bytes behind the descriptor;
 * - on a miss the store's answer is cached only if its size matches the descriptor's; a replace
 *   landing between our open and the store's stat is retried once;
 * - the descriptor has one owner: `takeFd()` hands it to the sender (which closes it), otherwise
 *   `release()` closes it; both are idempotent.
 */
import { closeSync, fstatSync, openSync, type Stats, statSync } from 'node:fs';
import type { BlobInfo, BlobStore } from '../../store/types.js';

const CACHE_MAX = 4096;
type Cache = Map<string, { key: string; info: BlobInfo }>;
const caches = new WeakMap<BlobStore, Cache>();

function cacheOf(blobs: BlobStore): Cache {
  let c = caches.get(blobs);
  if (!c) caches.set(blobs, (c = new Map()));
  return c;
}

function versionKey(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

function isEnoent(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The store's view of the version `st` describes; 'stale' when the store saw another one. */
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

export class LocalBlob {
  #fd: number | undefined;
  private constructor(
    readonly info: BlobInfo,
    fd: number | undefined,
  ) {
    this.#fd = fd;
  }

  /** Opens blob `id` at `path` (withBody) or only stats it (HEAD). Undefined when missing. */
  static open(
    blobs: BlobStore,
    id: string,
    path: string,
    withBody: boolean,
  ): LocalBlob | undefined | Promise<LocalBlob | undefined> {
    // Hot path without a single promise: a cache hit is answered synchronously.
    const hit = LocalBlob.#fromCache(blobs, id, path, withBody);
    return hit === 'miss' ? LocalBlob.#openSlow(blobs, id, path, withBody) : hit;
  }

  static #fromCache(
    blobs: BlobStore,
    id: string,
    path: string,
    withBody: boolean,
  ): LocalBlob | undefined | 'miss' {
    const cached = cacheOf(blobs).get(id);
    if (!cached) return 'miss';
    let fd: number | undefined;
    try {
      if (withBody) fd = openSync(path, 'r');
      const st = fd !== undefined ? fstatSync(fd) : statSync(path);
      if (cached.key === versionKey(st)) return new LocalBlob(cached.info, fd);
    } catch (e) {
      if (!isEnoent(e)) {
        if (fd !== undefined) closeSync(fd);
        throw e;
      }
    }
    if (fd !== undefined) closeSync(fd);
    return 'miss';
  }

  static async #openSlow(
    blobs: BlobStore,
    id: string,
    path: string,
    withBody: boolean,
  ): Promise<LocalBlob | undefined> {
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
    let fd: number | undefined;
    let st: Stats;
    try {
      if (withBody) {
        fd = openSync(path, 'r');
        st = fstatSync(fd);
      } else st = statSync(path);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      if (isEnoent(e)) return undefined;
      throw e;
    }
    let info: BlobInfo | undefined | 'stale';
    try {
      info = await infoFor(blobs, id, st);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      throw e;
    }
    if (info === undefined || info === 'stale') {
      if (fd !== undefined) closeSync(fd);
      return info;
    }
    return new LocalBlob(info, fd);
  }

  /** The descriptor, now owned by the caller. */
  takeFd(): number {
    const fd = this.#fd;
    if (fd === undefined) throw new Error('LocalBlob.takeFd: opened without a body');
    this.#fd = undefined;
    return fd;
  }

  /** Closes the descriptor unless it was taken. */
  release(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) closeSync(fd);
  }
}
