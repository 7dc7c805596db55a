/**
 * Writing whole log lines to a destination that may break or stall: fd 1 is usually a pipe to a
 * log shipper (docker, systemd, vector) that can die (EPIPE) or stop reading (the pipe fills:
 * EAGAIN). Every log write in a thread (the access log's batches, log-buffer.ts, and pino's lines,
 * log.ts, JSON or LOG_FORMAT=pretty's text) goes through `writeLines`, so a thread sees one state
 * per fd.
 *
 * Invariants:
 * - `writeLines` never throws and never blocks the thread for long: a log destination's fault must
 *   not end a request, a turn's observation (metrics), or the process.
 * - A slow reader loses nothing: EAGAIN waits 1 ms and retries for as long as the fd takes some
 *   bytes at least every LOG_STALL_MS (default STALL_MS, 1 s), and the whole batch within
 *   BATCH_STALLS × LOG_STALL_MS (4 s): backpressure, as docker's default blocking mode and
 *   journald apply it. A reader that takes nothing for LOG_STALL_MS is *stalled*: that batch is
 *   dropped (the rest of it: what the fd took stays), and the fd gets a verdict (below).
 * - No batch holds its thread longer than BATCH_STALLS × LOG_STALL_MS in all: a reader that keeps
 *   taking a few bytes but not the batch within that (a trickle: a page of a pipe every 0.9 s)
 *   is *slow*: the rest of the batch is dropped and counted (reason `slow`), and the fd gets a
 *   verdict. Why a multiple of the stall bound and not a minimum rate: what the bound protects
 *   is the thread (an HTTP thread answers nothing while it waits), and LOG_STALL_MS already says
 *   how long an operator lets a log write hold it; four of them leave a reader that keeps up
 *   with the log (it takes a 64 KiB batch in milliseconds) far from the bound even on a loaded
 *   machine, and hold the thread seconds, not hours. A batch that outgrows the reader (a long
 *   line on a slow pipe) is the one that pays.
 * - A verdict (`stalled` or `slow`) is the process's, not the thread's (log-verdict.ts): while
 *   it holds, every thread's write to that fd gets one attempt and no wait, and what the fd does
 *   not take is dropped and counted with the verdict's reason. So a stalled reader costs the
 *   process one wait of LOG_STALL_MS in all, not one per thread.
 * - Any other error (EPIPE: the reader is gone; EBADF) drops the batch at once; nothing retries
 *   it, so a dead fd costs one write(2) per batch, never a loop.
 * - Nothing is lost silently: dropped lines are counted per fd, and the next write the fd takes is
 *   preceded by one warn line saying how many and why (in the same write(2) as lines short enough
 *   for a pipe to keep atomic, so one attempt never parts them). A dead pipe never takes one,
 *   so every drop is also added to the process-wide totals (`droppedLines`, the metric): one
 *   shared counter per reason that every thread adds to (Atomics) — the HTTP threads, the
 *   scheduler's actor threads and their pools alike, whoever created them. The buffer is handed
 *   down as environment data (log-lock.ts `processMemory`), so no thread-creating code has to
 *   pass it on, and a thread's drops count from its first line.
 *   Reasons are a fixed set (REASONS) so the metric's labels stay bounded: an error code outside
 *   it is counted as `other` (its notice still names it).
 * - Only whole lines: every write holds the fd's process-wide lock (log-lock.ts), so no other
 *   thread's line lands inside a batch a full pipe cut short. Whether the fd was left mid-line is
 *   kept with the lock: a batch cut short by a drop, or by its thread's end mid-write, is ended
 *   with a newline by the next write from any thread, so the lines after it stay whole.
 * - Why EAGAIN can be seen at all: Node makes fd 1 and 2 non-blocking when the main thread opens
 *   process.stdout/stderr on a pipe (libuv), which log.ts does first; a blocking fd would block
 *   in write(2) with no bound.
 */
import { Buffer } from 'node:buffer';
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { lineOpen, lockFd, processMemory, setLineOpen, unlockFd } from './log-lock.js';
import { giveVerdict, heldVerdict, tookBytes, tookWhole } from './log-verdict.js';

/** How long a write waits for a reader that takes no byte before its batch is dropped: the
 *  default of LOG_STALL_MS. */
export const STALL_MS = 1000;

/** A batch holds its thread at most this many LOG_STALL_MS in all (see the invariants). */
export const BATCH_STALLS = 4;

/** LOG_STALL_MS as every thread inherits it (config.ts refuses a bad value at start-up). */
const stallMs = ((raw) => {
  const ms = Number(raw);
  return raw && Number.isInteger(ms) && ms >= 0 ? ms : STALL_MS;
})(process.env.LOG_STALL_MS);
const batchMs = stallMs * BATCH_STALLS;

/** How long a write waits for another thread's before it takes the fd's lock over (log-lock.ts):
 *  past the longest a live writer holds it, two writes (a cut line's end with the notice, then
 *  its batch; a take-over notice first at most once) of at most batchMs each. */
const stealMs = Math.max(10_000, 4 * batchMs);

const pause = new Int32Array(new SharedArrayBuffer(4));
const NEWLINE = new Uint8Array([10]);
const EMPTY = new Uint8Array(0);
/** Linux's PIPE_BUF: a pipe keeps a write of up to this many bytes whole. */
export const PIPE_BUF = 4096;

interface FdState {
  /** Lines dropped since the fd last took a write, and the last reason. */
  dropped: number;
  reason: string;
}

const states = new Map<number, FdState>();

/** The reasons the process-wide totals keep apart; any other is counted as `other`. */
const REASONS = Object.freeze([
  'EPIPE',
  'stalled',
  'slow',
  'EBADF',
  'ECONNRESET',
  'ENOTCONN',
  'ENOSPC',
  'EDQUOT',
  'EFBIG',
  'EIO',
  'EINVAL',
  'other',
] as const);
const OTHER = REASONS.length - 1;

/** The process's dropped lines, one slot per reason, shared by every thread (see invariants). */
const droppedTotals = new BigInt64Array(
  processMemory('video-server:log-lines-dropped', REASONS.length * BigInt64Array.BYTES_PER_ELEMENT)
    .buffer,
);

/** Every thread's dropped lines so far, by reason (EPIPE, stalled, slow, …; nonzero ones). */
export function droppedLines(): ReadonlyMap<string, number> {
  const out = new Map<string, number>();
  REASONS.forEach((reason, i) => {
    const n = Atomics.load(droppedTotals, i);
    if (n > 0n) out.set(reason, Number(n));
  });
  return out;
}

function stateOf(fd: number): FdState {
  let s = states.get(fd);
  if (s === undefined) states.set(fd, (s = { dropped: 0, reason: '' }));
  return s;
}

/** Writes `data` (whole lines) to `fd`, or drops and counts it (see the invariants). */
export function writeLines(fd: number, data: Uint8Array): void {
  const lost = lockFd(fd, stealMs);
  try {
    if (lost !== 0) writeLocked(fd, takeOverNotice(lost - 1));
    writeLocked(fd, data);
  } finally {
    unlockFd(fd);
  }
}

/** `writeLines` while holding fd's lock (log-lock.ts). */
function writeLocked(fd: number, data: Uint8Array): void {
  const s = stateOf(fd);
  const end = lineOpen(fd) ? NEWLINE : EMPTY;
  const notice = s.dropped > 0 ? noticeOf(s) : EMPTY;
  const head = end.length + notice.length;
  // A pipe takes a write of up to PIPE_BUF whole or not at all: lines that short share one
  // write(2) with the cut line's end and the notice, so a verdict's one attempt never parts them;
  // longer ones follow in a write of their own, so the notice is never cut.
  const together = head > 0 && head + data.length <= PIPE_BUF;
  if (head > 0) {
    const first = together ? Buffer.concat([end, notice, data]) : Buffer.concat([end, notice]);
    const n = put(fd, first, s);
    if (n >= head && notice.length > 0) s.dropped = 0;
    if (n < first.length) {
      drop(s, data, Math.max(0, n - head));
      return;
    }
    if (together) return;
  }
  const written = put(fd, data, s);
  if (written < data.length) drop(s, data, written);
}

/**
 * Writes what it can of `data`: EAGAIN waits while the reader takes some bytes at least every
 * stallMs, for batchMs in all (unless a verdict on the reader holds). Returns the bytes written;
 * when fewer than `data.length`, `s.reason` says why.
 */
function put(fd: number, data: Uint8Array, s: FdState): number {
  let off = 0;
  let since = -1; // the first EAGAIN since the fd last took bytes
  let first = -1; // the first EAGAIN of this batch
  while (off < data.length) {
    try {
      const n = writeSync(fd, data, off);
      if (n > 0) {
        off += n;
        setLineOpen(fd, data[off - 1] !== 10);
        tookBytes(fd);
      }
      since = -1;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code !== 'EAGAIN') {
        s.reason = code;
        return off;
      }
      const held = heldVerdict(fd, stallMs);
      if (held) {
        s.reason = held;
        return off;
      }
      const now = performance.now();
      if (since < 0) since = now;
      if (first < 0) first = now;
      const verdict = now - since >= stallMs ? 'stalled' : now - first >= batchMs ? 'slow' : '';
      if (verdict) {
        giveVerdict(fd, verdict);
        s.reason = verdict;
        return off;
      }
      Atomics.wait(pause, 0, 0, 1);
    }
  }
  tookWhole(fd, stallMs);
  return off;
}

/** Drops `data` from `off` on: its lines are counted (a line cut short is ended by the next
 *  write to the fd, from any thread: log-lock.ts `lineOpen`). */
function drop(s: FdState, data: Uint8Array, off: number): void {
  let n = 0;
  // A line that lacks only its newline is not lost: the next write ends it.
  const from = off > 0 && data[off] === 10 ? off + 1 : off;
  for (let i = from; i < data.length; i++) if (data[i] === 10) n++;
  s.dropped += n;
  if (n === 0) return;
  const slot = (REASONS as readonly string[]).indexOf(s.reason);
  Atomics.add(droppedTotals, slot < 0 ? OTHER : slot, BigInt(n));
}

/** The warn line about dropped lines, written before the fd's next lines. */
function noticeOf(s: FdState): Uint8Array {
  return warnLine(
    { dropped: s.dropped, reason: s.reason },
    'log lines dropped: the log destination did not take them',
  );
}

/** The warn line about a write lock taken over from a thread that held it for stealMs. */
function takeOverNotice(holder: number): Uint8Array {
  return warnLine(
    { holder },
    `log write lock taken over: thread ${holder} held it for ${stealMs} ms`,
  );
}

/** Turns one JSON log line into what the fd gets (LOG_FORMAT=pretty: pino-pretty's text). */
export type LineFormat = (json: string) => string;

/** How this thread's own warn lines are written: as JSON unless log.ts set pretty text. */
let noticeFormat: LineFormat | undefined;

/** Writes this thread's notices (drops, lock take-overs) in `format`, as its other lines are. */
export function formatNotices(format: LineFormat): void {
  noticeFormat = format;
}

/** One of this module's own warn lines, with the fields pino gives every line. */
function warnLine(fields: Record<string, unknown>, msg: string): Uint8Array {
  const head = { level: 40, time: Date.now(), pid: process.pid, thread: threadId, scope: 'log' };
  const json = JSON.stringify({ ...head, ...fields, msg });
  return Buffer.from(noticeFormat ? noticeFormat(json) : `${json}\n`);
}

/**
 * pino's destination interface over `writeLines`: one serialized line per call, written as it
 * is, or as `format` turns it (pino-pretty's text: one record may be several lines, written
 * together, so no other thread's line lands among them).
 */
export class LineWriter {
  constructor(
    readonly fd: number,
    readonly format?: LineFormat,
  ) {}

  write(line: string): boolean {
    const text = this.format ? this.format(line) : line;
    if (text.length > 0) writeLines(this.fd, Buffer.from(text));
    return true;
  }
}
