/**
 * The verdict on a log fd's reader, `stalled` or `slow`: log-write.ts gives it when a write waited
 * on a full pipe past its bound (LOG_STALL_MS with nothing taken, or its batch bound), and while it
 * holds, every thread's write to that fd gets one attempt and no wait: what the fd takes is
 * written, the rest dropped and counted with the verdict's reason (docker's non-blocking mode drops
 * the same way once its buffer is full).
 *
 * Invariants:
 * - A verdict is the process's, not the thread's: it lives in shared memory that every thread
 *   shares (log-lock.ts `processMemory`), one slot per fd modulo log-lock.ts's SLOTS, as the fd's
 *   lock does, since the lock makes every thread wait for the one that waits on the reader. Each
 *   slot is written and read only under that fd's lock, so its fields are seen together.
 * - It holds while the fd has taken no byte since a `stalled` verdict; else for
 *   COOL_STALLS × LOG_STALL_MS after it was given, unless first the fd takes a write whole
 *   LOG_STALL_MS or more after the last write it refused (the reader keeps up again: a page taken
 *   now and then does not end it, nor does a gap between batches). So a stalled reader costs the
 *   process one wait of LOG_STALL_MS in all, not one per thread; a reader that trickles (it keeps
 *   the pipe full) holds the writing threads at most BATCH_STALLS × LOG_STALL_MS (log-write.ts) per
 *   COOL_STALLS × LOG_STALL_MS, under 1/16 of their time; and a reader that recovers gets its
 *   backpressure back LOG_STALL_MS after the last write it refused (a slow but steady reader that
 *   the writers still outrun, after at most a minute at the default). Why 60: the trickler's
 *   share falls as 4/(4 + COOL_STALLS), so past 60 a longer window buys little, while it bounds
 *   how long a reader that still fills the pipe now and then may lose lines it would have taken
 *   with backpressure.
 * - Times are Date.now(): every thread's performance.now() has its own origin. A clock set back
 *   ends a verdict rather than extending it.
 */
import { processMemory, SLOTS } from './log-lock.js';

/** A verdict on a reader holds at most this many LOG_STALL_MS (see the invariants). */
export const COOL_STALLS = 60;

/** The verdicts, by their code in the shared word (0: none). */
const VERDICTS = ['', 'stalled', 'slow'] as const;
export type Verdict = 'stalled' | 'slow';

/** Per slot, two words: the verdict's code, and whether the fd has taken no byte since; then two
 *  64-bit times (Date.now()): when the verdict was given and when the fd last refused a write. */
const WORDS = 2;
const CODE = 0;
const STUCK = 1;
const AT = 0;
const REFUSED = 1;

const memory = processMemory('video-server:log-verdict', SLOTS * (WORDS * 4 + 2 * 8)).buffer;
const words = new Int32Array(memory, 0, SLOTS * WORDS);
const times = new BigInt64Array(memory, SLOTS * WORDS * 4, SLOTS * 2);

const at = (fd: number, word: number) => (fd & (SLOTS - 1)) * WORDS + word;
const timeAt = (fd: number, word: number) => (fd & (SLOTS - 1)) * 2 + word;

/** Under fd's lock: gives `code` (0 ends the verdict) at `now`; `stuck`: the fd took no byte. */
function set(fd: number, code: number, now: number, stuck: boolean): void {
  Atomics.store(times, timeAt(fd, AT), BigInt(now));
  Atomics.store(times, timeAt(fd, REFUSED), BigInt(now));
  Atomics.store(words, at(fd, STUCK), stuck ? 1 : 0);
  Atomics.store(words, at(fd, CODE), code);
}

/** Under fd's lock: a write waited on fd's reader past its bound (see the invariants). */
export function giveVerdict(fd: number, verdict: Verdict): void {
  set(fd, VERDICTS.indexOf(verdict), Date.now(), verdict === 'stalled');
}

/**
 * Under fd's lock, after fd refused a write: the reason of the verdict on its reader that holds,
 * counting this refusal, or '' when none holds (`stallMs`: LOG_STALL_MS).
 */
export function heldVerdict(fd: number, stallMs: number): string {
  const code = Atomics.load(words, at(fd, CODE));
  if (code === 0) return '';
  const now = Date.now();
  const given = Number(Atomics.load(times, timeAt(fd, AT)));
  const stuck = Atomics.load(words, at(fd, STUCK)) === 1;
  const holds = stuck || (now >= given && now - given < stallMs * COOL_STALLS);
  if (!holds) return '';
  Atomics.store(times, timeAt(fd, REFUSED), BigInt(now));
  return VERDICTS[code] ?? 'other';
}

/** Under fd's lock: the fd took a byte (a `stalled` verdict holds no longer by that alone). */
export function tookBytes(fd: number): void {
  if (Atomics.load(words, at(fd, STUCK)) === 1) Atomics.store(words, at(fd, STUCK), 0);
}

/** Under fd's lock, after fd took a write whole: the verdict on its reader ends if the fd has
 *  taken a byte since it was given and refused no write for `stallMs` (LOG_STALL_MS). */
export function tookWhole(fd: number, stallMs: number): void {
  if (Atomics.load(words, at(fd, CODE)) === 0) return;
  const now = Date.now();
  const refused = Number(Atomics.load(times, timeAt(fd, REFUSED)));
  const stuck = Atomics.load(words, at(fd, STUCK)) === 1;
  if (!stuck && (now < refused || now - refused >= stallMs)) set(fd, 0, now, false);
}
