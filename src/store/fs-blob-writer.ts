/**
 * The filesystem blob writer: temp file in the blob directory → fsync → sidecar → rename.
 * The ordering and why it is crash-safe are in fs-blobs.ts (header).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { BlobTooLargeError, isNoSpace, StorageFullError, WriterClosedError } from './errors.js';
import { writeAll } from './fs-blob-stage.js';
import type { BlobInfo, BlobWriter } from './types.js';

/** The sidecar `<id>.meta`; trusted only when size and inode match the blob. */
export interface Meta {
  contentType: string;
  size: number;
  ino: number;
  sha256: string;
}

export function isEnoent(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

/**
 * unlinkQuiet behind a blocking access(2): a missing file then costs no threadpool hop and no
 * error object (Node builds an Error with a stack for every ENOENT); a present one is unlinked
 * on the threadpool, so the kernel's work (freeing blocks, the journal) does not stall the
 * calling thread. Only for threads that serve nothing else (FsBlobStore.deleteInPool).
 */
export async function unlinkIfPresent(path: string): Promise<void> {
  if (existsSync(path)) await unlinkQuiet(path);
}

export async function unlinkQuiet(path: string): Promise<void> {
  await unlink(path).catch((e) => {
    if (!isEnoent(e)) throw e;
  });
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class FsBlobWriter implements BlobWriter {
  #bytes = 0;
  #done = false;
  readonly #hash = createHash('sha256');

  constructor(
    readonly fh: FileHandle,
    readonly base: string,
    readonly final: string,
    readonly dir: string,
    readonly contentType: string,
    readonly maxBytes: number,
  ) {}

  get bytesWritten(): number {
    return this.#bytes;
  }

  /** The temp file (complete once every write resolved), for a media probe before commit. */
  get stagedPath(): string {
    return `${this.base}.tmp`;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#done) throw new WriterClosedError();
    if (this.#bytes + chunk.byteLength > this.maxBytes) {
      await this.abort();
      throw new BlobTooLargeError(this.maxBytes);
    }
    try {
      await writeAll(this.fh, chunk);
    } catch (e) {
      await this.abort();
      throw isNoSpace(e) ? new StorageFullError(e) : e;
    }
    this.#hash.update(chunk);
    this.#bytes += chunk.byteLength;
  }

  async commit(): Promise<BlobInfo> {
    if (this.#done) throw new WriterClosedError();
    this.#done = true;
    const tmp = `${this.base}.tmp`;
    const metaTmp = `${this.base}.meta.tmp`;
    try {
      await this.fh.sync();
      const st = await this.fh.stat();
      await this.fh.close();
      const sha256 = this.#hash.digest('base64url');
      const meta: Meta = { contentType: this.contentType, size: st.size, ino: st.ino, sha256 };
      const mfh = await open(metaTmp, 'wx', 0o644);
      try {
        await mfh.writeFile(JSON.stringify(meta));
        await mfh.sync();
      } finally {
        await mfh.close();
      }
      await rename(metaTmp, `${this.final}.meta`); // sidecar first: see the header
      await rename(tmp, this.final);
      await fsyncDir(this.dir);
      // rename keeps mtime, so the descriptor's stat is the committed file's.
      const mtime = Math.floor(st.mtimeMs);
      return { size: st.size, contentType: this.contentType, etag: `"${sha256}"`, mtime };
    } catch (e) {
      await this.fh.close().catch(() => {});
      await unlinkQuiet(tmp).catch(() => {});
      await unlinkQuiet(metaTmp).catch(() => {});
      throw isNoSpace(e) ? new StorageFullError(e) : e;
    }
  }

  async abort(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.fh.close().catch(() => {});
    await unlinkQuiet(`${this.base}.tmp`);
  }
}
