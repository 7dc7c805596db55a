/**
 * A per-thread buffered destination for high-volume log lines (the access log): whole lines are
 * collected and written to the fd in one write(2) per batch, at most every FLUSH_MS.
 *
 * Invariants:
 * - Only whole lines are ever written, in batches of at most BATCH (64 KiB) bytes: to a regular
 *   file (Linux serializes writes to one open file: they never interleave), or to a pipe, socket
 *   or terminal while every thread of the process writes under log-lock.ts's lock. A thread
 *   outside that lock (`EXCLUSIVE` false: started before the main thread loaded it) writes at most
 *   PIPE_BUF (4096) bytes at a time there, a size the kernel keeps atomic. So lines from other
 *   threads (each with its own buffer or sync destination) never split one of ours.
 * - The buffer is flushed every FLUSH_MS (an unref'd timer), when the next line would not fit,
 *   and synchronously at thread/process exit. A SIGKILL loses at most FLUSH_MS of access lines —
 *   the price of not paying one system call per request.
 * - Writes go through log-write.ts's `writeLines`: a slow reader (EAGAIN) slows the writer
 *   instead of losing lines; a reader that takes nothing for LOG_STALL_MS (default 1 s) or holds
 *   a batch past its bound (4 × LOG_STALL_MS), or a broken fd (EPIPE), has its batches dropped
 *   and counted, never retried in a loop; nothing here throws.
 */
import { fstatSync } from 'node:fs';
import { EXCLUSIVE } from './log-lock.js';
import { PIPE_BUF, writeLines } from './log-write.js';

export const BATCH = 64 * 1024;
export const FLUSH_MS = 100;

function isFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false; // not stat-able: treat as a pipe
  }
}

export class LineBuffer {
  /** Whole lines not yet written: bytes [0, used). Writers that format bytes fill it directly. */
  readonly bytes: Buffer;
  used = 0;
  /** The most bytes one write(2) may carry (BATCH, or PIPE_BUF: see the invariants). */
  readonly max: number;
  readonly #fd: number;

  constructor(fd: number) {
    this.#fd = fd;
    this.max = EXCLUSIVE || isFile(fd) ? BATCH : PIPE_BUF;
    this.bytes = Buffer.allocUnsafe(this.max);
    setInterval(() => this.flush(), FLUSH_MS).unref();
    process.on('exit', () => this.flush());
  }

  /** pino's destination interface: one serialized line (with its newline) per call. */
  write(line: string): boolean {
    // Bytes ≤ 3 × UTF-16 units: a cheap bound before the exact count.
    const n = line.length * 3 <= this.max ? line.length * 3 : Buffer.byteLength(line);
    if (n > this.max) {
      this.flush();
      writeLines(this.#fd, Buffer.from(line)); // longer than a batch: alone, still whole
      return true;
    }
    const at = this.room(n);
    this.used = at + this.bytes.write(line, at, 'utf8');
    return true;
  }

  /**
   * The offset in `bytes` where a line of at most `n` bytes (n ≤ max) may be written, flushing
   * first when it would not fit. The writer then sets `used` to the line's end.
   */
  room(n: number): number {
    if (this.used + n > this.max) this.flush();
    return this.used;
  }

  /** Writes one line of more than `max` bytes alone (whole, after what is buffered). */
  writeLong(line: Uint8Array): void {
    this.flush();
    writeLines(this.#fd, line);
  }

  flush(): void {
    const n = this.used;
    if (n === 0) return;
    this.used = 0;
    writeLines(this.#fd, this.bytes.subarray(0, n));
  }
}
