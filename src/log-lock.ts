/**
 * One write lock per process for the log fds, shared by every thread through shared memory, so a
 * batch of lines may be written to a pipe in writes larger than PIPE_BUF without another thread's
 * line landing inside it.
 *
 * Why: a pipe keeps a write atomic only up to PIPE_BUF (4 KiB), and a longer write is cut short
 * when the pipe fills: another thread's write could then land between the two halves of a line.
 * Without a lock every thread had to write its batches 4 KiB at a time, 16 times the write(2)s of
 * a file and as many wake-ups of the reader: the access log cost 11.4% of a 404's CPU with stdout
 * a pipe (docker's and Kubernetes' case) against 7.4% with stdout a file (bench/results/
 * http-ops.md).
 *
 * Invariants:
 * - The lock's memory is made by the main thread when it loads this module (log.ts is among the
 *   first modules it loads) and reaches every thread started after that through Node's environment
 *   data (`processMemory`): `EXCLUSIVE` is true exactly when this thread shares it with every
 *   thread that writes through log-write.ts.
 * - The lock word holds 0 when free, else the holder's acquisition: its threadId + 1 in the low
 *   32 bits, the count of its acquisitions above (64-bit, so the word changes with every
 *   acquisition, a thread's next one included). A thread ended while it held the lock
 *   (Worker.terminate mid-write) has it released by the thread that started it, which sees the
 *   worker's exit; a waiter that still finds the same acquisition after a bound longer than any
 *   live holder holds it (log-write.ts) takes it over, so a lost holder costs each thread one
 *   wait, never the logs.
 * - The bound counts per acquisition, not from a waiter's first wait: a waiter that sees a new
 *   acquisition (a normal hand-over, or another waiter's take-over) waits the whole bound anew,
 *   and the take-over is a compare-exchange against the acquisition it watched, so of several
 *   waiters on one lost holder exactly one takes it over, and none takes it from a live holder
 *   that got it since (test/ops/log-lock.test.ts).
 * - Writers outside log-write.ts do not take it. Console calls and Node's warnings in the
 *   server's threads are logger lines (log-capture.ts), and LOG_FORMAT=pretty's text is written
 *   by log-write.ts too (log-pretty.ts), so they do; what is left writes the fd itself: native code's
 *   fprintf, Node's fatal-error printer, console output of a thread that never called
 *   captureOutput. A write of theirs up to PIPE_BUF
 *   stays whole on a pipe but can land inside one of our lines cut by a full pipe; a longer one
 *   can be cut itself.
 * - Next to each lock lies whether its fd was left mid-line; the verdict on the fd's reader
 *   (log-verdict.ts) has a slot of its own per fd, the same way: both are written and read only
 *   under the lock.
 */
import {
  getEnvironmentData,
  isMainThread,
  setEnvironmentData,
  threadId,
} from 'node:worker_threads';

const KEY = 'video-server:log-lock';

/** Locks by fd modulo SLOTS: a 64-bit lock word per slot, then a 32-bit word per slot saying
 *  whether the fd was left mid-line (written only under the lock). Two fds sharing a slot wait
 *  for each other and share that flag: only fds 0–7 are exact (the server logs to 1 and 2). */
export const SLOTS = 8;

/**
 * The process's shared memory under `key`: made by the main thread, and handed down to every
 * Worker started after that as environment data, which Node copies into each new thread, so no
 * thread-creating code has to pass it on. A thread started before the main thread made it makes
 * its own, for itself and the threads it starts: `shared` is false in all of those.
 */
export function processMemory(
  key: string,
  bytes: number,
): { buffer: SharedArrayBuffer; shared: boolean } {
  const inherited = isMainThread ? undefined : getEnvironmentData(key);
  if (inherited instanceof SharedArrayBuffer) return { buffer: inherited, shared: true };
  if (isLocal(inherited)) return { buffer: inherited.local, shared: false };
  const buffer = new SharedArrayBuffer(bytes);
  setEnvironmentData(key, isMainThread ? buffer : { local: buffer });
  return { buffer, shared: isMainThread };
}

function isLocal(v: unknown): v is { local: SharedArrayBuffer } {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { local?: unknown }).local instanceof SharedArrayBuffer
  );
}

const memory = processMemory(KEY, SLOTS * (8 + 4));
const locks = new BigInt64Array(memory.buffer, 0, SLOTS);
const open = new Int32Array(memory.buffer, SLOTS * 8, SLOTS);

/** Every thread that writes through log-write.ts takes this lock (see the invariants). */
export const EXCLUSIVE = memory.shared;

const me = threadId + 1;
const slot = (fd: number) => fd & (SLOTS - 1);
const holderOf = (word: bigint) => Number(BigInt.asUintN(32, word));

/** This thread's acquisitions so far, and the lock word of the one it holds, per slot (0n: none). */
let acquisitions = 0n;
const mine = new Array<bigint>(SLOTS).fill(0n);

/**
 * Takes `fd`'s lock, waiting while another thread holds it, and takes it over from an acquisition
 * that has held it `stealMs` (longer than a live holder may hold it). Returns 0, or the
 * threadId + 1 of the holder it took the lock over from (the caller says so in the log).
 */
export function lockFd(fd: number, stealMs: number): number {
  const i = slot(fd);
  const word = BigInt.asIntN(64, (++acquisitions << 32n) | BigInt(me));
  let seen = 0n; // the acquisition this thread waits on
  let since = 0; // when it first saw it: the bound counts from there
  for (;;) {
    const now = Atomics.compareExchange(locks, i, 0n, word);
    if (now === 0n) return took(i, word, 0);
    if (now !== seen) {
      seen = now;
      since = Date.now();
    }
    const left = since + stealMs - Date.now();
    if (left > 0) Atomics.wait(locks, i, seen, left);
    // The same acquisition for the whole bound: take it over, unless it changed hands just now.
    else if (Atomics.compareExchange(locks, i, seen, word) === seen) {
      return took(i, word, holderOf(seen));
    }
  }
}

function took(i: number, word: bigint, from: number): number {
  mine[i] = word;
  return from;
}

/** Releases `fd`'s lock if this thread holds it (it may have been taken over). */
export function unlockFd(fd: number): void {
  const i = slot(fd);
  if (mine[i] !== 0n) release(i, mine[i]!);
  mine[i] = 0n;
}

/** The fd was left mid-line: the next write must end that line first. */
export function lineOpen(fd: number): boolean {
  return Atomics.load(open, slot(fd)) === 1;
}

/** Under the lock: whether the last byte written to `fd` left a line open. */
export function setLineOpen(fd: number, isOpen: boolean): void {
  Atomics.store(open, slot(fd), isOpen ? 1 : 0);
}

/** Frees slot `i` if its lock word is still `word` (compare-exchange: never a later holder's). */
function release(i: number, word: bigint): void {
  if (Atomics.compareExchange(locks, i, word, 0n) === word) Atomics.notify(locks, i, 1);
}

// A worker ended mid-write leaves its lock held: its starter releases every slot it held.
process.on('worker', (worker) => {
  const id = worker.threadId + 1;
  worker.once('exit', () => {
    for (let i = 0; i < SLOTS; i++) {
      const word = Atomics.load(locks, i);
      if (word !== 0n && holderOf(word) === id) release(i, word);
    }
  });
});
