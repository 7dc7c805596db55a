/**
 * Channel<T>: Go channel semantics inside one thread (Go's runtime/chan.go).
 *
 * State: #buf (ring buffer, length <= #cap), #recvq and #sendq (FIFO waiter queues), #closed.
 *
 * Invariants (hold between any two calls; JS runs each method to completion):
 *  I1  At most one of #recvq / #sendq is non-empty — except a single select blocked on the same
 *      unbuffered channel for both sending and receiving (Go has the same exception).
 *  I2  #buf non-empty  ⇒  #recvq empty        (a receiver would have taken the value).
 *  I3  #sendq non-empty ⇒  #buf.length = #cap (a sender would have buffered instead).
 *  I4  #closed ⇒ #recvq and #sendq are empty (close settles every waiter; nobody queues after).
 *  I5  #cap = 0 ⇒ #buf is always empty, so `length` is always 0.
 *  I6  Every queued waiter is live: a select unlinks its losing waiters when one case wins, an
 *      aborted operation unlinks itself before rejecting (waiter.ts, which also parks plain
 *      operations and settles queued senders).
 *
 * Return cases (#poll is the receive step shared by tryRecv, recv and for-await):
 *  trySend(v): throws ERR_SEND_ON_CLOSED if closed; true if a receiver was waiting (handed v) or
 *              the buffer had room (buffered v); false otherwise (would block). No state change
 *              on false or throw.
 *  #poll():    the buffer head (then the first blocked sender, if any, moves its value to the
 *              tail: FIFO, blocked senders following in arrival order) or, unbuffered, the first
 *              blocked sender's value; DRAINED if closed and empty; EMPTY otherwise (would block).
 *  tryRecv():  #poll as {value, ok: true} / CLOSED ({ok: false}) / undefined.
 *  send/recv:  aborted signal → reject AbortError, nothing changed; the try* result when ready;
 *              otherwise queue a waiter that settles when a partner arrives, on close (receivers:
 *              ok=false; senders: ERR_SEND_ON_CLOSED) or on abort (unlinked, AbortError).
 *  close():    throws ERR_CLOSE_OF_CLOSED the second time; else marks closed first, then wakes
 *              every receiver (ok=false) and rejects every sender, in queue order.
 *
 * Ready fast path — allocates only what the API returns (send: the shared SENT, nothing):
 *  Proof: if a partner is queued it is live (I6) and completing it needs no allocation; if not,
 *  I2/I3 say the buffer alone decides, and push/shift on the ring reuse its slots (deque.ts).
 *
 * Not Go: nothing here yields to the macrotask queue. A loop whose channel is always ready runs
 * on microtasks and starves I/O until it blocks; such loops should await setImmediate at times.
 */
import { Deque } from './deque.js';
import { AbortError, CloseOfClosedError, InvalidOptionError, SendOnClosedError } from './errors.js';
import type { ChannelLike, RecvResult } from './types.js';
import { failSend, park, type Waiter, WaitQueue, wakeSend } from './waiter.js';

export interface ChannelOptions {
  /** Buffered values before send blocks; 0 makes an unbuffered rendezvous channel. @default 0 */
  capacity?: number;
}

export const CHANNEL_DEFAULTS: Readonly<Required<ChannelOptions>> = Object.freeze({ capacity: 0 });

/** Shared immutable results: closed-and-drained, and the settled send. */
export const CLOSED: RecvResult<never> = Object.freeze({ value: undefined, ok: false }) as never;
const SENT: Promise<void> = Promise.resolve();
const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });
/** #poll's answers besides a value: would block / closed and drained. Never a user value. */
const EMPTY: unique symbol = Symbol('empty');
const DRAINED: unique symbol = Symbol('drained');
/** Waiter.index of a plain receiver that resolves with an iterator step (for await). */
const AS_STEP = 1;

/** Deliver `value` to a queued receiver (plain or select case). */
function wakeRecv(w: Waiter, value: unknown, ok: boolean): void {
  if (w.sel !== null) {
    w.sel.win(w, value, ok);
    return;
  }
  w.release();
  // index tells a plain receiver what shape it awaits: a RecvResult, or an iterator step.
  if (w.index === AS_STEP) (w.resolve as (r: unknown) => void)(ok ? { value, done: false } : DONE);
  else (w.resolve as (r: RecvResult<unknown>) => void)(ok ? { value, ok: true } : CLOSED);
}

/** Internal hooks for select.ts (not exported from index.ts). */
export interface ChannelInternals {
  canRecv(ch: Channel<unknown>): boolean;
  canSend(ch: Channel<unknown>): boolean;
  enqueueRecv(ch: Channel<unknown>, w: Waiter): void;
  enqueueSend(ch: Channel<unknown>, w: Waiter): void;
}
export let internals: ChannelInternals;

export class Channel<T> implements ChannelLike<T> {
  readonly #cap: number;
  readonly #buf: Deque<T>;
  readonly #recvq = new WaitQueue();
  readonly #sendq = new WaitQueue();
  #closed = false;

  /**
   * `new Channel(capacity)` or `new Channel({ capacity })`; 0 (the default) is an unbuffered
   * rendezvous channel. Throws ERR_CHANNEL_INVALID_OPTION for anything but a non-negative integer.
   */
  constructor(options: number | ChannelOptions = CHANNEL_DEFAULTS.capacity) {
    const capacity =
      typeof options === 'object' && options !== null
        ? options.capacity === undefined
          ? CHANNEL_DEFAULTS.capacity
          : options.capacity
        : options;
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new InvalidOptionError('options.capacity must be a non-negative integer');
    }
    this.#cap = capacity;
    this.#buf = new Deque<T>(Math.min(capacity, 64));
  }

  get capacity(): number {
    return this.#cap;
  }

  get length(): number {
    return this.#buf.length;
  }

  trySend(value: T): boolean {
    if (this.#closed) throw new SendOnClosedError();
    const r = this.#recvq.shift();
    if (r !== null) {
      wakeRecv(r, value, true);
      return true;
    }
    if (this.#buf.length < this.#cap) {
      this.#buf.push(value);
      return true;
    }
    return false;
  }

  tryRecv(): RecvResult<T> | undefined {
    const v = this.#poll();
    if (v === EMPTY) return undefined;
    if (v === DRAINED) return CLOSED;
    return { value: v, ok: true };
  }

  /** The receive step shared by tryRecv, recv and iteration, allocating nothing. */
  #poll(): T | typeof EMPTY | typeof DRAINED {
    if (this.#buf.length > 0) {
      const value = this.#buf.shift();
      const s = this.#sendq.shift();
      if (s !== null) {
        this.#buf.push(s.value as T);
        wakeSend(s);
      }
      return value;
    }
    const s = this.#sendq.shift();
    if (s !== null) {
      const value = s.value as T;
      wakeSend(s);
      return value;
    }
    return this.#closed ? DRAINED : EMPTY;
  }

  send(value: T, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    try {
      if (this.trySend(value)) return SENT;
    } catch (err) {
      return Promise.reject(err);
    }
    return park(this.#sendq, value, 0, signal);
  }

  recv(signal?: AbortSignal): Promise<RecvResult<T>> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const r = this.tryRecv();
    if (r !== undefined) return Promise.resolve(r);
    return park(this.#recvq, undefined, 0, signal);
  }

  close(): void {
    if (this.#closed) throw new CloseOfClosedError();
    // State first, then wake (Go's closechan): a woken select sees the channel closed.
    this.#closed = true;
    for (let w = this.#recvq.shift(); w !== null; w = this.#recvq.shift()) {
      wakeRecv(w, undefined, false);
    }
    for (let w = this.#sendq.shift(); w !== null; w = this.#sendq.shift()) {
      failSend(w, new SendOnClosedError());
    }
  }

  /** Go's `for v := range ch`: yields until the channel is closed and drained. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: (): Promise<IteratorResult<T>> => {
        const v = this.#poll();
        if (v === DRAINED) return Promise.resolve(DONE);
        if (v !== EMPTY) return Promise.resolve({ value: v, done: false });
        return park(this.#recvq, undefined, AS_STEP, undefined);
      },
      // Leaving a for-await early leaves the channel alone, as breaking out of Go's range does.
      return: (): Promise<IteratorResult<T>> => Promise.resolve(DONE),
    };
  }

  static {
    internals = {
      canRecv: (ch) => ch.#buf.length > 0 || ch.#sendq.head !== null || ch.#closed,
      canSend: (ch) => ch.#closed || ch.#recvq.head !== null || ch.#buf.length < ch.#cap,
      enqueueRecv: (ch, w) => ch.#recvq.push(w),
      enqueueSend: (ch, w) => ch.#sendq.push(w),
    };
  }
}
