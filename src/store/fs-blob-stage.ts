/**
 * A local copy of an upload in progress, for blob stores whose bytes live elsewhere (GridFS, S3):
 * their writers tee every chunk into it when asked (`createWriter(id, {localCopy: true})`), so
 * the upload path can probe the media (ffprobe needs a seekable file) BEFORE the commit makes
 * the new bytes visible — a bad re-upload then never replaces the previous video.
 *
 * Invariants
 * - `path` holds every byte of every `write` that resolved, in order (writes are awaited one at a
 *   time by BlobWriter's contract; a short write is finished by `writeAll`);
 * - `discard` closes and unlinks; it is idempotent and the writers call it on commit and abort,
 *   so the copy lives exactly as long as the upload is uncommitted;
 * - a full local disk is ERR_STORAGE_FULL (507), as for the filesystem store.
 * A process killed mid-upload leaves its copy in the OS temp directory (`vs-stage-<pid>-<hex>`);
 * the first copy a process opens first removes those of processes no longer alive.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readdir, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNoSpace, StorageFullError } from './errors.js';

const STAGE = /^vs-stage-(\d+)-[0-9a-f]+$/;

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Per directory: the sweep of dead processes' copies, run once per process. */
const swept = new Map<string, Promise<void>>();

async function sweepDeadStages(dir: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = STAGE.exec(name);
    if (m && !pidAlive(Number(m[1]))) await unlink(join(dir, name)).catch(() => {});
  }
}

/** Writes all of `chunk` at the file position (a write may be short). */
export async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.byteLength) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.byteLength - off);
    off += bytesWritten;
  }
}

export class LocalStage {
  readonly path: string;
  readonly #fh: FileHandle;
  #discarded: Promise<void> | undefined;

  private constructor(path: string, fh: FileHandle) {
    this.path = path;
    this.#fh = fh;
  }

  static async open(dir = tmpdir()): Promise<LocalStage> {
    if (!swept.has(dir)) swept.set(dir, sweepDeadStages(dir));
    await swept.get(dir);
    const path = join(dir, `vs-stage-${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      return new LocalStage(path, await open(path, 'wx', 0o600));
    } catch (e) {
      throw isNoSpace(e) ? new StorageFullError(e) : e;
    }
  }

  async write(chunk: Uint8Array): Promise<void> {
    try {
      await writeAll(this.#fh, chunk);
    } catch (e) {
      throw isNoSpace(e) ? new StorageFullError(e) : e;
    }
  }

  discard(): Promise<void> {
    this.#discarded ??= (async () => {
      await this.#fh.close().catch(() => {});
      await unlink(this.path).catch(() => {});
    })();
    return this.#discarded;
  }
}
