/**
 * The shared state of a cross-thread channel: Go's hchan laid out in a SharedArrayBuffer, every
 * operation a short critical section under a futex mutex (Go's chan.go also takes a lock per op).
 *
 * Ring of S = nextPow2(capacity + parkedSenders) fixed-size slots, addressed by wrapping Int32
 * tickets (slot = ticket & (S-1)). Each slot: STATE, TICKET, LEN + `slotBytes` of payload.
 * Slot states (DONE, PARKED, TOMB, EMPTY: cross-thread-layout.ts) run in FIFO order from
 * HEAD_T to TAIL_T.
 * Invariants (between critical sections):
 *   R1 USED = TAIL_T − HEAD_T ≤ S; the slot at HEAD_T is not TOMB (leading tombstones are freed).
 *   R2 DONE slots are exactly the live slots before PROMO_T; PARKED and TOMB are after it.
 *   R3 a PARKED slot exists ⇒ DONE_LIVE ≥ CAPACITY (a parked value is promoted as soon as a
 *      DONE one leaves), and trySend fails while one exists (senders stay FIFO).
 *   R4 CLOSED ⇒ no PARKED slot (close tombstones them: their senders reject ERR_SEND_ON_CLOSED).
 *   R5 every state change that may let a receiver proceed bumps RECV_SEQ; one that may let a
 *      sender proceed bumps SEND_SEQ (callers notify after unlocking).
 * Memory bound: at most S slots of `slotBytes` each, whatever the producers do.
 * Batched operations over runs of slots live in cross-thread-ring-batch.ts; they keep R1–R5.
 */
import { CODECS, type Codec, type Slots } from './cross-thread-codecs.js';
import {
  CAP,
  CLOSED,
  DONE,
  DONE_LIVE,
  EMPTY,
  HEAD_T,
  LIVE,
  lockWord,
  META,
  openRingBuffer,
  PARKED,
  PROMO_T,
  RECV_SEQ,
  RECV_WAITING,
  SEND_SEQ,
  TAIL_T,
  TOMB,
  unlockWord,
} from './cross-thread-layout.js';
import { CloseOfClosedError, SendOnClosedError } from './errors.js';

/** One thread's view of the shared state. Methods ending in `Locked` need `lock()` held.
 *  `meta`, `data`, `view`, `buf` and `mask` are for cross-thread-ring-batch.ts only, under the lock. */
export class Ring implements Slots {
  readonly i32: Int32Array;
  readonly meta: Int32Array;
  readonly data: Uint8Array;
  readonly view: DataView;
  readonly buf: Buffer;
  /** This channel's codec (values are prepared with it before the lock). */
  readonly codecImpl: Codec;
  readonly cap: number;
  readonly slots: number;
  readonly slotBytes: number;
  readonly codec: number;
  readonly mask: number;

  constructor(sab: SharedArrayBuffer) {
    const v = openRingBuffer(sab);
    this.i32 = v.i32;
    this.meta = v.meta;
    this.data = v.data;
    this.view = v.view;
    this.buf = v.buf;
    this.cap = v.cap;
    this.slots = v.slots;
    this.slotBytes = v.slotBytes;
    this.codec = v.codec;
    this.codecImpl = CODECS[this.codec] ?? CODECS[0]!;
    this.mask = this.slots - 1;
  }

  /** The channel's mutex (cross-thread-layout.ts); every `…Locked` method needs it held. */
  lock(): void {
    lockWord(this.i32);
  }
  unlock(): void {
    unlockWord(this.i32);
  }

  get closed(): boolean {
    return Atomics.load(this.i32, CLOSED) !== 0;
  }
  /** Buffered values (Go's len): completed sends not yet received, at most the capacity. */
  get length(): number {
    return Math.min(Atomics.load(this.i32, DONE_LIVE), this.cap);
  }
  /** Slots in use (values and tombstones): the memory actually holding queued data. */
  get used(): number {
    return (Atomics.load(this.i32, TAIL_T) - Atomics.load(this.i32, HEAD_T)) | 0;
  }

  /** A send that completes now (room in the buffer or a waiting receiver), else false.
   *  `p` is the codec's prepared form of the value. */
  trySendLocked(p: unknown): boolean {
    const a = this.i32;
    if (a[CLOSED]) throw new SendOnClosedError();
    if (a[PROMO_T] !== a[TAIL_T] || ((a[TAIL_T]! - a[HEAD_T]!) | 0) >= this.slots) return false;
    if (a[DONE_LIVE]! >= a[CAP]! + a[RECV_WAITING]!) return false;
    this.#put(p, DONE);
    a[PROMO_T] = a[TAIL_T]!;
    a[DONE_LIVE]!++;
    return true;
  }

  /** Park a blocked sender's value: its ticket, or undefined if no slot is free. */
  parkLocked(p: unknown): number | undefined {
    const a = this.i32;
    if (a[CLOSED]) throw new SendOnClosedError();
    if (((a[TAIL_T]! - a[HEAD_T]!) | 0) >= this.slots) return undefined;
    return this.#put(p, PARKED);
  }

  #put(p: unknown, state: number): number {
    const a = this.i32;
    const t = a[TAIL_T]!;
    const m = (t & this.mask) * META;
    this.meta[m] = state;
    this.meta[m + 1] = t;
    const off = (t & this.mask) * this.slotBytes;
    this.meta[m + 2] = this.codecImpl.write(p, this, off, this.slotBytes, this.meta[m + 2]!);
    a[TAIL_T] = (t + 1) | 0;
    a[LIVE]!++;
    Atomics.add(a, RECV_SEQ, 1);
    return t;
  }

  /** Take the oldest value (DONE or PARKED): the codec's copy of it (decode it after unlocking);
   *  CLOSED_EMPTY; or undefined. */
  tryRecvLocked(): unknown {
    const a = this.i32;
    if (a[HEAD_T] === a[TAIL_T]) return a[CLOSED] ? CLOSED_EMPTY : undefined;
    const m = (a[HEAD_T]! & this.mask) * META;
    const out = this.codecImpl.read(this, this.headOffsetLocked(), this.meta[m + 2]!);
    this.dropHeadLocked();
    return out;
  }

  /** Byte offset in `data` of the oldest value's slot (the ring must not be empty). */
  headOffsetLocked(): number {
    return (this.i32[HEAD_T]! & this.mask) * this.slotBytes;
  }
  /** Length of the oldest value, or -1 if the ring holds none. */
  headLengthLocked(): number {
    const a = this.i32;
    return a[HEAD_T] === a[TAIL_T] ? -1 : this.meta[(a[HEAD_T]! & this.mask) * META + 2]!;
  }

  /** The oldest value (DONE or PARKED) has been copied out: free its slot, promote, wake. */
  dropHeadLocked(): void {
    const a = this.i32;
    const m = (a[HEAD_T]! & this.mask) * META;
    if (this.meta[m] === DONE) a[DONE_LIVE]!--;
    this.meta[m] = EMPTY;
    a[HEAD_T] = (a[HEAD_T]! + 1) | 0;
    a[LIVE]!--;
    if (((a[PROMO_T]! - a[HEAD_T]!) | 0) < 0) a[PROMO_T] = a[HEAD_T]!;
    this.freeTombsLocked();
    this.promoteLocked();
    Atomics.add(a, SEND_SEQ, 1);
  }

  /** Move parked values into the buffer while there is room (FIFO), skipping tombstones. */
  promoteLocked(): void {
    const a = this.i32;
    while (a[DONE_LIVE]! < a[CAP]! && a[PROMO_T] !== a[TAIL_T]) {
      const m = (a[PROMO_T]! & this.mask) * META;
      if (this.meta[m] === PARKED) {
        this.meta[m] = DONE;
        a[DONE_LIVE]!++;
      }
      a[PROMO_T] = (a[PROMO_T]! + 1) | 0;
    }
  }

  /** Trailing tombstones after the DONE prefix must not make trySend think a sender is parked. */
  #skipTombsAtPromo(): void {
    const a = this.i32;
    while (a[PROMO_T] !== a[TAIL_T] && this.meta[(a[PROMO_T]! & this.mask) * META] === TOMB) {
      a[PROMO_T] = (a[PROMO_T]! + 1) | 0;
    }
  }

  freeTombsLocked(): void {
    const a = this.i32;
    while (a[HEAD_T] !== a[TAIL_T]) {
      const m = (a[HEAD_T]! & this.mask) * META;
      // The slot stays TOMB (with its ticket) until reused, so a sender whose value close
      // withdrew still reads 'closed' after the head has passed it (nothing is put after close).
      if (this.meta[m] !== TOMB) return;
      a[HEAD_T] = (a[HEAD_T]! + 1) | 0;
      if (((a[PROMO_T]! - a[HEAD_T]!) | 0) < 0) a[PROMO_T] = a[HEAD_T]!;
    }
  }

  /** A parked sender's fate: 'waiting', 'done' (buffered or taken) or 'closed' (rejected). */
  parkedStateLocked(ticket: number): 'waiting' | 'done' | 'closed' {
    const m = (ticket & this.mask) * META;
    if (this.meta[m + 1] !== ticket || this.meta[m] === EMPTY || this.meta[m] === DONE) {
      return 'done';
    }
    return this.meta[m] === PARKED ? 'waiting' : 'closed';
  }

  /** Withdraw a parked value (abort); false if its send already completed. */
  withdrawLocked(ticket: number): boolean {
    if (this.parkedStateLocked(ticket) !== 'waiting') return false;
    this.meta[(ticket & this.mask) * META] = TOMB;
    this.i32[LIVE]!--;
    this.freeTombsLocked();
    this.#skipTombsAtPromo();
    Atomics.add(this.i32, SEND_SEQ, 1);
    return true;
  }

  addRecvWaitingLocked(n: number): void {
    this.i32[RECV_WAITING]! += n;
    // A new waiting receiver is room for a sender (Go: a sender finds it in recvq).
    if (n > 0) Atomics.add(this.i32, SEND_SEQ, 1);
  }

  closeLocked(): void {
    const a = this.i32;
    if (a[CLOSED]) throw new CloseOfClosedError();
    a[CLOSED] = 1;
    for (let t = a[PROMO_T]!; t !== a[TAIL_T]; t = (t + 1) | 0) {
      const m = (t & this.mask) * META;
      if (this.meta[m] === PARKED) {
        this.meta[m] = TOMB;
        a[LIVE]!--;
      }
    }
    this.freeTombsLocked();
    this.#skipTombsAtPromo();
    Atomics.add(a, RECV_SEQ, 1);
    Atomics.add(a, SEND_SEQ, 1);
  }
}

export const CLOSED_EMPTY: unique symbol = Symbol('closed and drained');
