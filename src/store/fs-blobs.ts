/**
 * BlobStore on the local filesystem: `<dir>/<id>` holds the bytes, `<id>.meta` a small JSON
 * sidecar `{contentType, size, ino, sha256}`.
 *
 * Invariants
 * - A reader never sees a partial video: bytes go to a temp file in the same directory
 *   (`.<id>.<pid>.<rand>.tmp`), are fsynced, and only then renamed onto `<id>` (rename is atomic
 *   within a filesystem); the directory is fsynced after, so the name survives a power cut.
 * - Crash ordering: the sidecar is renamed into place BEFORE the blob. So a visible new blob
 *   always has its sidecar. A sidecar is trusted only if its `size` and `ino` match the blob
 *   (rename keeps the inode), so a crash between the two renames while replacing a blob, or two
 *   racing writers, yields the old blob with sane defaults (application/octet-stream and an
 *   ETag from size, mtime in ns and inode), never a wrong content type or a stale ETag.
 * - The ETag is strong: the SHA-256 of the content, computed while writing.
 * - Temp files of dead processes (pid no longer alive) or older than `tmpMaxAgeMs` are swept
 *   on open; sidecars without a blob are swept once older than `tmpMaxAgeMs`.
 * - Delete removes the blob first, then the sidecar (keeps "blob visible ⇒ sidecar"); so does
 *   deleteInPool, its form for the deletion pool's threads.
 */
import { randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { mkdir, open, opendir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  BLOB_STORE_DEFAULTS,
  type BlobStoreOptions,
  byteStream,
  checkContentType,
  checkListPageSize,
  checkMaxBytes,
} from './blob-common.js';
import { StoreClosedError } from './errors.js';
import { FileRangeReadable } from './fs-blob-reader.js';
import { pidAlive } from './fs-blob-stage.js';
import {
  FsBlobWriter,
  isEnoent,
  type Meta,
  unlinkIfPresent,
  unlinkQuiet,
} from './fs-blob-writer.js';
import type { BlobInfo, BlobStore, BlobWriter } from './types.js';
import { checkId } from './validate.js';

export interface FsBlobStoreOptions extends BlobStoreOptions {
  /** Directory of the video files (created if missing). */
  dir: string;
  /** Temp files and orphan sidecars older than this are swept on open. @default 3600000 */
  tmpMaxAgeMs?: number;
}

const TMP = /^\.([0-9a-f-]{36})\.(\d+)\.[0-9a-f]+\.(tmp|meta\.tmp)$/;
const META = /^([0-9a-f-]{36})\.meta$/;
const BLOB = /^[0-9a-f-]{36}$/;

const DEFAULT_TYPE = 'application/octet-stream';

export class FsBlobStore implements BlobStore {
  readonly #dir: string;
  readonly #maxBytes: number;
  #closed = false;

  /** Creates the directory and sweeps leftovers of crashed writers. */
  static async open(options: FsBlobStoreOptions): Promise<FsBlobStore> {
    const store = new FsBlobStore(options);
    await mkdir(options.dir, { recursive: true });
    await store.sweep(options.tmpMaxAgeMs ?? 3_600_000);
    return store;
  }

  private constructor(options: FsBlobStoreOptions) {
    this.#dir = options.dir;
    this.#maxBytes = checkMaxBytes(options.maxBytes ?? BLOB_STORE_DEFAULTS.maxBytes);
    checkListPageSize(options.listPageSize ?? BLOB_STORE_DEFAULTS.listPageSize); // streamed anyway
  }

  /** Every blob with its mtime, read from the directory as a stream (opendir): memory stays
   * bounded however many videos there are. */
  async *list(): AsyncIterable<{ id: string; mtime: number }> {
    if (this.#closed) throw new StoreClosedError();
    for await (const entry of await opendir(this.#dir, { bufferSize: 128 })) {
      if (!BLOB.test(entry.name)) continue;
      const st = await stat(join(this.#dir, entry.name)).catch(() => undefined);
      if (st) yield { id: entry.name, mtime: Math.floor(st.mtimeMs) };
    }
  }

  /** Removes temp files of dead writers and stale orphan sidecars; returns how many. */
  async sweep(maxAgeMs: number): Promise<number> {
    const names = await readdir(this.#dir);
    const present = new Set(names);
    const old = Date.now() - maxAgeMs;
    let n = 0;
    for (const name of names) {
      const tmp = TMP.exec(name);
      const meta = tmp ? undefined : META.exec(name);
      if (!tmp && !(meta && !present.has(meta[1] as string))) continue;
      const path = join(this.#dir, name);
      const st = await stat(path).catch(() => undefined);
      if (!st) continue;
      const deadWriter = tmp !== null && tmp !== undefined && !pidAlive(Number(tmp[2]));
      if (deadWriter || st.mtimeMs < old) {
        await unlinkQuiet(path);
        n++;
      }
    }
    return n;
  }

  #path(id: string): string {
    return join(this.#dir, checkId('blob id', id).toLowerCase());
  }

  async createWriter(id: string, meta: { contentType: string }): Promise<BlobWriter> {
    if (this.#closed) throw new StoreClosedError();
    const final = this.#path(id);
    const contentType = checkContentType(meta?.contentType);
    const base = join(
      this.#dir,
      `.${id.toLowerCase()}.${process.pid}.${randomBytes(6).toString('hex')}`,
    );
    const fh = await open(`${base}.tmp`, 'wx', 0o644);
    return new FsBlobWriter(fh, base, final, this.#dir, contentType, this.#maxBytes);
  }

  async stat(id: string): Promise<BlobInfo | undefined> {
    const path = this.#path(id);
    let st: BigIntStats;
    try {
      st = await stat(path, { bigint: true });
    } catch (e) {
      if (isEnoent(e)) return undefined;
      throw e;
    }
    const size = Number(st.size);
    const meta = await readMeta(`${path}.meta`);
    const trusted = meta && meta.size === size && meta.ino === Number(st.ino);
    return {
      size,
      contentType: trusted ? meta.contentType : DEFAULT_TYPE,
      etag: trusted
        ? `"${meta.sha256}"`
        : `"${st.size.toString(16)}-${st.mtimeNs.toString(16)}-${st.ino.toString(16)}"`,
      mtime: Math.floor(Number(st.mtimeMs)),
    };
  }

  /** Ranged reads in 512 KiB chunks (fs-blob-reader.ts); a bad id errors the stream. */
  read(id: string, range?: { start: number; end: number }): Readable {
    let path: string;
    try {
      path = this.#path(id);
    } catch (e) {
      return byteStream(() => {
        throw e;
      });
    }
    return new FileRangeReadable(path, id, range);
  }

  /**
   * The blob's file, for a server that streams it itself (sendfile-like paths). Open it once
   * and read only that descriptor: a replace renames a new file onto the name.
   */
  localPath(id: string): string {
    return this.#path(id);
  }

  async delete(id: string): Promise<void> {
    const path = this.#path(id);
    await unlinkQuiet(path);
    await unlinkQuiet(`${path}.meta`);
  }

  /**
   * `delete` for the deletion pool's threads, in the same order (blob, then sidecar): each path
   * is checked with a blocking access(2) first, so a missing file — a video's poster pair,
   * usually — costs no threadpool hop and no error object; present files are unlinked on the
   * threadpool as by `delete`. Fully blocking unlinks were cheaper in CPU but stalled the pool
   * thread in the kernel (freeing an fsynced file's blocks), which lost more than it saved:
   * bench/results/scheduler.md.
   */
  async deleteInPool(id: string): Promise<void> {
    const path = this.#path(id);
    await unlinkIfPresent(path);
    await unlinkIfPresent(`${path}.meta`);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}

async function readMeta(path: string): Promise<Meta | undefined> {
  try {
    const m = JSON.parse(await readFile(path, 'utf8')) as Partial<Meta>;
    if (typeof m.contentType !== 'string' || typeof m.size !== 'number') return undefined;
    if (typeof m.ino !== 'number' || typeof m.sha256 !== 'string') return undefined;
    return m as Meta;
  } catch {
    return undefined; // missing or torn sidecar: the caller falls back to defaults
  }
}
