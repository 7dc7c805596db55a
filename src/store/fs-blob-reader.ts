/**
 * Reads an inclusive byte range of one blob file as a byte stream.
 *
 * A Readable with `_construct` (open + fstat, range checked against the size of the file we
 * opened) and `_read` (one `fs.read` of up to `chunkSize` per call): one thread-pool round trip
 * per chunk and no async-generator hops, which matters on 1 MiB ranges. Failures arrive as
 * coded stream errors: ERR_BLOB_NOT_FOUND, ERR_INVALID_RANGE.
 *
 * Invariants: `#pos` only grows and never passes `#end + 1`; the descriptor is closed exactly
 * once (in `_destroy`, which Node calls after end, error or destroy()).
 */
import { close, fstat, open, read } from 'node:fs';
import { Readable } from 'node:stream';
import { resolveRange } from './blob-common.js';
import { BlobNotFoundError } from './errors.js';

/** Bytes per read. @default 512 KiB: few round trips, bounded memory per stream. */
export const FS_READ_CHUNK = 512 * 1024;

export class FileRangeReadable extends Readable {
  readonly #path: string;
  readonly #id: string;
  readonly #range: { start: number; end: number } | undefined;
  #fd = -1;
  #pos = 0;
  #end = -1; // inclusive; -1 with #pos 0 = nothing to read

  constructor(path: string, id: string, range: { start: number; end: number } | undefined) {
    super({ highWaterMark: FS_READ_CHUNK });
    this.#path = path;
    this.#id = id;
    this.#range = range;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.#path, 'r', (err, fd) => {
      if (err) {
        callback(err.code === 'ENOENT' ? new BlobNotFoundError(this.#id) : err);
        return;
      }
      this.#fd = fd;
      fstat(fd, (err2, st) => {
        if (err2) {
          callback(err2);
          return;
        }
        try {
          const r = resolveRange(this.#range, st.size);
          if (r) [this.#pos, this.#end] = [r.start, r.end];
          callback();
        } catch (e) {
          callback(e as Error);
        }
      });
    });
  }

  override _read(size: number): void {
    const want = Math.min(Math.max(size, FS_READ_CHUNK), this.#end - this.#pos + 1);
    if (want <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafe(want);
    read(this.#fd, buf, 0, want, this.#pos, (err, n) => {
      if (err || n === 0) {
        this.destroy(err ?? new Error(`blob ${this.#id} shrank while being read`));
        return;
      }
      this.#pos += n;
      this.push(n === want ? buf : buf.subarray(0, n));
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#fd < 0) {
      callback(error);
      return;
    }
    const fd = this.#fd;
    this.#fd = -1;
    close(fd, () => callback(error));
  }
}
