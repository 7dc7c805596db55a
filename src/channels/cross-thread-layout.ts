/**
 * The layout of a cross-thread channel's SharedArrayBuffer, shared by every endpoint on every
 * thread: header words (Int32 indexes), per-slot metadata, slot states, and the payload area.
 *
 *   [0, HEADER)               Int32 header words below; the two wait words sit on their own
 *                             cache lines (RECV_SEQ, SEND_SEQ) with their sleeper counts after them
 *   [HEADER, HEADER + 3·S)    per slot: STATE, TICKET, LEN
 *   dataOffset(S) …           S payloads of SLOT_BYTES each, 8-byte aligned
 * The state machine over it is cross-thread-ring.ts; the words are only written under LOCK,
 * except the wait words and their sleeper counts (Atomics, see cross-thread.ts).
 */
import { InvalidOptionError } from './errors.js';

export const LOCK = 0;
export const CLOSED = 1;
export const CAP = 2;
export const SLOTS = 3;
export const SLOT_BYTES = 4;
export const HEAD_T = 5;
export const TAIL_T = 6;
export const PROMO_T = 7;
export const LIVE = 8;
export const DONE_LIVE = 9;
export const RECV_WAITING = 10;
export const MAGIC = 11;
export const CODEC = 12;
/** Wait words, each on its own cache line: waiters sleep on them with Atomics.waitAsync. */
export const RECV_SEQ = 16;
export const SEND_SEQ = 32;
/** Offset from a wait word to the count of endpoints sleeping on it. */
export const SLEEPERS = 1;
export const HEADER = 48;
export const META = 3; // STATE, TICKET, LEN per slot
export const MAGIC_VALUE = 0x43485831; // "CHX1"

/** Slot states (cross-thread-ring.ts moves slots between them):
 *   DONE    a value whose send has completed: buffered (≤ capacity of them, FIFO prefix) or sent
 *           to a receiver that was already waiting (the receiver's credit, RECV_WAITING).
 *   PARKED  a blocked sender's value (Go's sender sudog): receivers may take it (an unbuffered
 *           receive takes straight from a blocked sender); its sender completes when it is
 *           promoted to DONE or taken.
 *   TOMB    a withdrawn parked value (its sender aborted, or close rejected it); skipped.
 *   EMPTY   free. */
export const EMPTY = 0;
export const DONE = 1;
export const PARKED = 2;
export const TOMB = 3;

export interface RingConfig {
  capacity: number;
  parkedSenders: number;
  slotBytes: number;
  /** Index into CODEC_NAMES (cross-thread-codecs.ts). */
  codec: number;
}

/** Slot payloads start 8-byte aligned, so an f64 slot is one Float64Array element. */
export const dataOffset = (slots: number) => ((HEADER + slots * META) * 4 + 7) & ~7;

export function createRingBuffer(c: RingConfig): SharedArrayBuffer {
  const slots = 2 ** Math.ceil(Math.log2(Math.max(1, c.capacity + c.parkedSenders)));
  const sab = new SharedArrayBuffer(dataOffset(slots) + slots * c.slotBytes);
  const a = new Int32Array(sab, 0, HEADER);
  a[CAP] = c.capacity;
  a[SLOTS] = slots;
  a[SLOT_BYTES] = c.slotBytes;
  a[CODEC] = c.codec;
  Atomics.store(a, MAGIC, MAGIC_VALUE);
  return sab;
}

/** One thread's views of a ring buffer and the sizes its header records. */
export interface RingViews {
  readonly i32: Int32Array;
  readonly meta: Int32Array;
  readonly data: Uint8Array;
  readonly view: DataView;
  readonly buf: Buffer;
  readonly cap: number;
  readonly slots: number;
  readonly slotBytes: number;
  readonly codec: number;
}

/** The views of a buffer made by createRingBuffer (on any thread); anything else is refused. */
export function openRingBuffer(sab: SharedArrayBuffer): RingViews {
  if (
    !(sab instanceof SharedArrayBuffer) ||
    sab.byteLength < HEADER * 4 ||
    Atomics.load(new Int32Array(sab, 0, HEADER), MAGIC) !== MAGIC_VALUE
  ) {
    throw new InvalidOptionError('shared must be the buffer of a CrossThreadChannel');
  }
  const i32 = new Int32Array(sab, 0, HEADER);
  const slots = i32[SLOTS]!;
  const at = dataOffset(slots);
  return {
    i32,
    meta: new Int32Array(sab, HEADER * 4, slots * META),
    data: new Uint8Array(sab, at),
    view: new DataView(sab, at),
    buf: Buffer.from(sab, at),
    cap: i32[CAP]!,
    slots,
    slotBytes: i32[SLOT_BYTES]!,
    codec: i32[CODEC]!,
  };
}

/**
 * The futex mutex on the LOCK word (Drepper's "mutex 3"): 0 free, 1 locked, 2 locked with
 * sleepers. Sections are a few hundred ns, so a short spin nearly always wins; sleeping is rare
 * (the holder was preempted). Node allows Atomics.wait on the main thread too.
 */
export function lockWord(a: Int32Array): void {
  if (Atomics.compareExchange(a, LOCK, 0, 1) === 0) return;
  for (let i = 0; i < 64; i++) {
    if (Atomics.load(a, LOCK) === 0 && Atomics.compareExchange(a, LOCK, 0, 1) === 0) return;
  }
  while (Atomics.exchange(a, LOCK, 2) !== 0) Atomics.wait(a, LOCK, 2, 5);
}

export function unlockWord(a: Int32Array): void {
  if (Atomics.sub(a, LOCK, 1) !== 1) {
    Atomics.store(a, LOCK, 0);
    Atomics.notify(a, LOCK, 1);
  }
}
