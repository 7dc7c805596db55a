/**
 * LimiterClient: the per-thread hot path of the limiter. No messages, no locks: the token state
 * lives in a SharedArrayBuffer owned by the limiter actor (limiter.ts), and every thread spends
 * and returns tokens with Atomics on it.
 *
 * Layout (Int32 words; each group on its own 64-byte cache line so that the CAS-hammered
 * in-use word does not invalidate the read-mostly configuration or the statistics):
 *   line 0  IN_USE                      written by every acquire/release
 *   line 1  MAGIC CAPACITY RATE_ON BURST NEXT_STRIPE   written by the actor (and constructors)
 *   line 2  BUCKET                      rate-mode tokens: clients take, the actor refills
 *   line 3+ STRIPES × {GRANTED, REJECTED}  one line per client stripe, wrapping Uint32 counts
 *   then    HOLDERS × {OWNER, HELD}     one line per client that claimed a holder slot: the
 *                                       tokens that client holds now (only it writes HELD while
 *                                       it lives; `reclaimHolder` empties the slot once it died)
 *
 * Invariants:
 *   - IN_USE changes only by +1 in a successful tryAcquire (CAS from u to u+1 with u < CAPACITY)
 *     and by -1 in release(); reconfiguration only stores CAPACITY. Hence no token is ever lost
 *     or invented: IN_USE = successful acquires − releases − reclaimed (below), whatever the
 *     capacity does.
 *   - IN_USE may exceed a freshly lowered CAPACITY; acquires then fail until it drops below.
 *   - A client with a holder slot stores its count of held tokens in HELD right after each
 *     IN_USE change, so HELD = the tokens it holds. When its thread is gone (it can no longer
 *     release), the owner of the threads calls `reclaimHolder`: IN_USE -= HELD, HELD = 0, the
 *     slot is free again — a dead thread's tokens come back (a thread only stops between two JS
 *     statements of its own event loop, never between the IN_USE and the HELD update).
 *   - HELD takes a plain store, not an atomic add: only its client writes it while the client's
 *     thread lives, and it is read (reclaimHolder) only after that thread ended, which orders
 *     the thread's writes before the read (its exit is observed through the host's event loop).
 *     Two atomic read-modify-writes per pair were ~28% of LimiterClient's cost (bench:actors).
 *   - BUCKET ≤ BURST after every refill; it goes down only by a CAS from t to t-1 with t > 0.
 *
 * Proof of the lock-free fast path (IN_USE ≤ CAPACITY as seen by each acquire):
 *   a CAS from u to u+1 succeeds only if IN_USE still equals the u that was checked < CAPACITY,
 *   so every increment starts below the capacity read just before; a failed CAS retries, and some
 *   thread's CAS always succeeds (lock-free, not wait-free).
 */
import { InvalidArgumentError, LimiterOverReleaseError } from './errors.js';

const LINE = 16; // Int32 words per 64-byte cache line
export const IN_USE = 0;
export const MAGIC = LINE;
export const CAPACITY = LINE + 1;
export const RATE_ON = LINE + 2;
export const BURST = LINE + 3;
export const NEXT_STRIPE = LINE + 4;
export const BUCKET = 2 * LINE;
export const STRIPES = 32;
export const STRIPE_BASE = 3 * LINE;
export const GRANTED = 0;
export const REJECTED = 1;
export const HOLDERS = 64;
export const HOLDER_BASE = STRIPE_BASE + STRIPES * LINE;
export const OWNER = 0;
export const HELD = 1;
export const MAGIC_VALUE = 0x4c494d31; // "LIM1"
export const LIMITER_BYTES = (HOLDER_BASE + HOLDERS * LINE) * 4;

export function stripeOffset(stripe: number): number {
  return STRIPE_BASE + stripe * LINE;
}

function holderOffset(slot: number): number {
  return HOLDER_BASE + slot * LINE;
}

/**
 * Returns the tokens a gone client held (its thread died) and frees its holder slot; the number
 * returned. Call only once the client's thread has stopped running.
 */
export function reclaimHolder(shared: SharedArrayBuffer, slot: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= HOLDERS) return 0;
  const a = new Int32Array(shared);
  const at = holderOffset(slot);
  const held = Atomics.exchange(a, at + HELD, 0);
  if (held > 0) Atomics.sub(a, IN_USE, held);
  Atomics.store(a, at + OWNER, 0);
  return held;
}

export class LimiterClient {
  readonly #i32: Int32Array;
  readonly #stripe: number;
  /** Offset of this client's HELD word, or -1 when every holder slot was taken. */
  readonly #held: number;
  /** The tokens this client holds: HELD's value, kept here so HELD takes a plain store. */
  #count = 0;
  /** This client's holder slot (for `reclaimHolder`), -1 if it has none. */
  readonly slot: number;

  constructor(shared: SharedArrayBuffer) {
    if (!(shared instanceof SharedArrayBuffer) || shared.byteLength !== LIMITER_BYTES) {
      throw new InvalidArgumentError('shared must be the SharedArrayBuffer of a spawned limiter');
    }
    this.#i32 = new Int32Array(shared);
    if (Atomics.load(this.#i32, MAGIC) !== MAGIC_VALUE) {
      throw new InvalidArgumentError('shared must be the SharedArrayBuffer of a spawned limiter');
    }
    // Spread clients over stripes so that their statistics counters do not share a line.
    this.#stripe = stripeOffset(Atomics.add(this.#i32, NEXT_STRIPE, 1) % STRIPES);
    let slot = -1;
    for (let i = 0; i < HOLDERS && slot < 0; i++) {
      if (Atomics.compareExchange(this.#i32, holderOffset(i) + OWNER, 0, 1) === 0) slot = i;
    }
    this.slot = slot;
    this.#held = slot < 0 ? -1 : holderOffset(slot) + HELD;
  }

  /** Take a token; false at once when all are out (or the rate bucket is empty). */
  tryAcquire(): boolean {
    const a = this.#i32;
    if (Atomics.load(a, RATE_ON) !== 0 && !this.#takeBucketToken()) {
      Atomics.add(a, this.#stripe + REJECTED, 1);
      return false;
    }
    for (;;) {
      const u = Atomics.load(a, IN_USE);
      if (u >= Atomics.load(a, CAPACITY)) {
        if (Atomics.load(a, RATE_ON) !== 0) this.#returnBucketToken();
        Atomics.add(a, this.#stripe + REJECTED, 1);
        return false;
      }
      if (Atomics.compareExchange(a, IN_USE, u, u + 1) === u) {
        if (this.#held >= 0) a[this.#held] = ++this.#count;
        Atomics.add(a, this.#stripe + GRANTED, 1);
        return true;
      }
    }
  }

  /** Return a token: exactly once per successful tryAcquire (on finish, error or abort). */
  release(): void {
    if (Atomics.sub(this.#i32, IN_USE, 1) <= 0) {
      // Undo: the word must stay = acquires − releases for everybody else.
      Atomics.add(this.#i32, IN_USE, 1);
      throw new LimiterOverReleaseError();
    }
    if (this.#held >= 0) this.#i32[this.#held] = --this.#count;
  }

  inUse(): number {
    return Atomics.load(this.#i32, IN_USE);
  }

  #takeBucketToken(): boolean {
    const a = this.#i32;
    for (;;) {
      const t = Atomics.load(a, BUCKET);
      if (t <= 0) return false;
      if (Atomics.compareExchange(a, BUCKET, t, t - 1) === t) return true;
    }
  }

  /** Give back a rate token we did not use, never above BURST (a full bucket just drops it). */
  #returnBucketToken(): void {
    const a = this.#i32;
    for (;;) {
      const t = Atomics.load(a, BUCKET);
      if (t >= Atomics.load(a, BURST)) return;
      if (Atomics.compareExchange(a, BUCKET, t, t + 1) === t) return;
    }
  }
}
