/**
 * CrossThreadChannel<T>: a bounded Go channel whose state lives in a SharedArrayBuffer, so its
 * ends can be on different threads. Create it on one thread, pass `ch.shared` (postMessage or
 * workerData), and `CrossThreadChannel.from(shared)` on the other; every endpoint can send,
 * receive and close, with Go semantics (cross-thread-ring.ts holds the shared state machine).
 *
 * Values are copied into fixed-size slots, encoded by the channel's codec: 'structured' (default)
 * is the structured clone algorithm via `v8.serialize` — what postMessage accepts, minus
 * transfer: Maps, Dates, typed arrays, cycles — 'json' is JSON text (about 3× cheaper, plain
 * JSON values only), and the typed codecs 'f64' (numbers) and 'bytes' (Uint8Array records) copy
 * the value straight into the slot. A value larger than `slotBytes` encoded is refused
 * (ERR_CHANNEL_INVALID_ARGUMENT). Batched traffic (`trySendMany`/`sendMany`, `tryRecvMany`/`recvMany`)
 * takes the lock and wakes the other side once per run of values, not once per value: that is
 * what carries millions of values a second between threads.
 * Memory is bounded by (capacity + parkedSenders) slots: a full channel makes senders wait —
 * real backpressure, unlike postMessage's unbounded queue.
 *
 * Per endpoint (one thread), blocked operations wait in local FIFO queues; one pump per
 * direction waits (Atomics.waitAsync) for the shared sequence word to change, then serves its
 * queue in order under the lock. Invariants:
 *   E1 every local receiver is counted once in the shared RECV_WAITING until it is settled;
 *   E2 a local sender either waits for a free slot (no ticket) or is parked (ticket) and settles
 *      when the ring says its value is buffered or taken ('done') or rejected by close;
 *   E3 try* never overtake this endpoint's own blocked operations (FIFO within a thread);
 *   E4 an operation that can complete when its signal aborts completes (Go: a ready case wins).
 */
import type { Codec } from './cross-thread-codecs.js';
import { type CrossThreadChannelOptions, createChannelBuffer } from './cross-thread-options.js';
import { CLOSED_EMPTY, RECV_SEQ, Ring, SEND_SEQ, SLEEPERS } from './cross-thread-ring.js';
import { hold, unhold, waitChange } from './cross-thread-wait.js';
import { AbortError, InvalidArgumentError, SendOnClosedError } from './errors.js';
import type { ChannelLike, RecvResult } from './types.js';

export { CROSS_THREAD_DEFAULTS, type CrossThreadChannelOptions } from './cross-thread-options.js';

interface RecvWaiter {
  resolve(r: RecvResult<unknown>): void;
  reject(e: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}
interface SendWaiter {
  p: unknown;
  ticket: number | undefined;
  resolve(): void;
  reject(e: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Notify a wait word only when some endpoint sleeps on it (Atomics.notify takes a global
 *  lock in V8). Safe: sleepers are counted before they read the word they will wait on, and we
 *  read the count after bumping the word (both seq-cst), so one of us sees the other. */
function wake(a: Int32Array, word: number): void {
  if (Atomics.load(a, word + SLEEPERS) > 0) Atomics.notify(a, word);
}

const CLOSED: RecvResult<never> = Object.freeze({ value: undefined, ok: false }) as never;

export class CrossThreadChannel<T> implements ChannelLike<T> {
  readonly #ring: Ring;
  readonly #codec: Codec;
  readonly #shared: SharedArrayBuffer;
  readonly #recvq: RecvWaiter[] = [];
  readonly #sendq: SendWaiter[] = [];
  #recvArmed = false;
  #sendArmed = false;

  /** A new channel (`capacity` or options); its first endpoint is this object. */
  constructor(options: number | CrossThreadChannelOptions = {}, shared?: SharedArrayBuffer) {
    shared ??= createChannelBuffer(options);
    this.#shared = shared;
    this.#ring = new Ring(shared);
    this.#codec = this.#ring.codecImpl;
  }

  /** Another endpoint of the channel whose `shared` buffer this is (typically on another thread). */
  static from<T>(shared: SharedArrayBuffer): CrossThreadChannel<T> {
    return new CrossThreadChannel<T>({}, shared);
  }

  /** Pass this to the other thread. */
  get shared(): SharedArrayBuffer {
    return this.#shared;
  }
  get capacity(): number {
    return this.#ring.cap;
  }
  get length(): number {
    return this.#ring.length;
  }
  /** Shared slots holding values now (buffered + parked senders' values), ≤ capacity + parkedSenders rounded up to a power of two. */
  get queued(): number {
    return this.#ring.used;
  }
  get slotCount(): number {
    return this.#ring.slots;
  }

  /** Validate and encode before the lock (the codec's prepared form). */
  #prepare(value: T): unknown {
    let p: unknown;
    try {
      p = this.#codec.prepare(value);
    } catch (err) {
      throw new InvalidArgumentError(`value cannot be encoded: ${(err as Error).message}`);
    }
    const max = this.#ring.slotBytes;
    const size = this.#codec.size(p, max);
    if (size > max) {
      throw new InvalidArgumentError(
        `value serialises to ${size} bytes, more than options.slotBytes (${max})`,
      );
    }
    return p;
  }

  trySend(value: T): boolean {
    const p = this.#prepare(value);
    if (this.#sendq.length > 0) {
      if (this.#ring.closed) throw new SendOnClosedError();
      return false;
    }
    const ring = this.#ring;
    ring.lock();
    let ok: boolean;
    try {
      ok = ring.trySendLocked(p);
    } finally {
      ring.unlock();
    }
    if (ok) wake(ring.i32, RECV_SEQ);
    return ok;
  }

  tryRecv(): RecvResult<T> | undefined {
    if (this.#recvq.length > 0) return undefined;
    const ring = this.#ring;
    ring.lock();
    const r = ring.tryRecvLocked();
    ring.unlock();
    if (r === undefined) return undefined;
    if (r === CLOSED_EMPTY) return CLOSED;
    wake(ring.i32, SEND_SEQ);
    return { value: this.#codec.decode(r) as T, ok: true };
  }

  /**
   * Send a prefix of `values[from..]` that completes now, under one lock and one wake-up: the
   * count sent. Like trySend, never overtakes this endpoint's blocked sends and throws
   * ERR_SEND_ON_CLOSED when closed; every value is validated first (ERR_CHANNEL_INVALID_ARGUMENT sends
   * nothing).
   */
  trySendMany(values: readonly T[], from = 0): number {
    const ps = this.#prepareAll(values, from);
    return this.#sendPrepared(ps, 0);
  }

  /** Send every value in order, waiting for room as `send` does (backpressure); one lock and
   *  one wake-up per run of values that fit. On abort or close, the values before the failing
   *  one were sent. */
  async sendMany(values: readonly T[], signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new AbortError(signal.reason);
    const ps = this.#prepareAll(values, 0);
    let i = this.#sendPrepared(ps, 0);
    while (i < ps.length) {
      await this.send(values[i]!, signal);
      i++;
      i += this.#sendPrepared(ps, i);
    }
  }

  /** Up to `max` values that are ready now, under one lock: `undefined` if it would block,
   *  `[]` once closed and drained. */
  tryRecvMany(max: number): T[] | undefined {
    if (this.#recvq.length > 0) return undefined;
    const raw = this.#takeUpTo(max);
    if (raw === undefined) return undefined;
    return this.#decodeAll(raw);
  }

  /** Wait for at least one value, then take up to `max` that are ready: `[]` once closed and
   *  drained. The consumer side of batched traffic (`tryRecvMany(n) ?? await recvMany(n)`). */
  async recvMany(max: number, signal?: AbortSignal): Promise<T[]> {
    if (signal?.aborted) throw new AbortError(signal.reason);
    const now = this.tryRecvMany(max);
    if (now !== undefined) return now;
    const first = await this.recv(signal);
    if (!first.ok) return [];
    const more = max > 1 && this.#recvq.length === 0 ? this.#takeUpTo(max - 1) : undefined;
    const out = more === undefined ? [] : this.#decodeAll(more);
    out.unshift(first.value);
    return out;
  }

  #prepareAll(values: readonly T[], from: number): unknown[] {
    const ps: unknown[] = new Array(Math.max(0, values.length - from));
    for (let i = from; i < values.length; i++) ps[i - from] = this.#prepare(values[i]!);
    return ps;
  }

  /** Send prepared values from `from` while they complete now; wake receivers once. */
  #sendPrepared(ps: unknown[], from: number): number {
    if (from >= ps.length) return 0;
    if (this.#sendq.length > 0) {
      if (this.#ring.closed) throw new SendOnClosedError();
      return 0;
    }
    const ring = this.#ring;
    let i = from;
    ring.lock();
    try {
      i += ring.trySendManyLocked(ps, i);
      while (i < ps.length && ring.trySendLocked(ps[i])) i++;
    } finally {
      ring.unlock();
    }
    if (i > from) wake(ring.i32, RECV_SEQ);
    return i - from;
  }

  /** Raw values (codec read results) taken under one lock; undefined if none; [] if closed. */
  #takeUpTo(max: number): unknown[] | undefined {
    if (!(max >= 1)) throw new InvalidArgumentError('max must be at least 1');
    const ring = this.#ring;
    const raw: unknown[] = [];
    ring.lock();
    const r = ring.tryRecvManyLocked(max, raw);
    ring.unlock();
    if (r === undefined) return undefined;
    if (r !== CLOSED_EMPTY) wake(ring.i32, SEND_SEQ);
    return raw;
  }

  #decodeAll(raw: unknown[]): T[] {
    const decode = this.#codec.decode;
    for (let i = 0; i < raw.length; i++) raw[i] = decode(raw[i]);
    return raw as T[];
  }
  send(value: T, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const ring = this.#ring;
    const seq = Atomics.load(ring.i32, SEND_SEQ);
    let p: unknown;
    let ticket: number | undefined;
    try {
      p = this.#prepare(value);
      if (this.#sendq.length === 0) {
        let sent = false;
        ring.lock();
        try {
          sent = ring.trySendLocked(p);
          if (!sent) ticket = ring.parkLocked(p);
        } finally {
          ring.unlock();
        }
        if (sent || ticket !== undefined) wake(ring.i32, RECV_SEQ);
        if (sent) return Promise.resolve();
      } else if (ring.closed) {
        throw new SendOnClosedError();
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const w: SendWaiter = { p, ticket, resolve, reject };
      this.#enqueue(this.#sendq, w, signal, () => this.#abortSend(w));
      this.#armSend(seq);
    });
  }

  recv(signal?: AbortSignal): Promise<RecvResult<T>> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const ring = this.#ring;
    const seq = Atomics.load(ring.i32, RECV_SEQ);
    ring.lock();
    const r = this.#recvq.length === 0 ? ring.tryRecvLocked() : undefined;
    if (r === undefined) ring.addRecvWaitingLocked(1);
    ring.unlock();
    wake(ring.i32, SEND_SEQ);
    if (r === CLOSED_EMPTY) return Promise.resolve(CLOSED);
    if (r !== undefined) return Promise.resolve({ value: this.#codec.decode(r) as T, ok: true });
    return new Promise<RecvResult<T>>((resolve, reject) => {
      const w: RecvWaiter = { resolve: resolve as RecvWaiter['resolve'], reject };
      this.#enqueue(this.#recvq, w, signal, () => this.#abortRecv(w));
      this.#armRecv(seq);
    });
  }

  close(): void {
    const ring = this.#ring;
    ring.lock();
    try {
      ring.closeLocked();
    } finally {
      ring.unlock();
    }
    wake(ring.i32, RECV_SEQ);
    wake(ring.i32, SEND_SEQ);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const done: IteratorReturnResult<undefined> = { value: undefined, done: true };
    return {
      next: async (): Promise<IteratorResult<T>> => {
        const r = await this.recv();
        return r.ok ? { value: r.value, done: false } : done;
      },
      return: (): Promise<IteratorResult<T>> => Promise.resolve(done),
    };
  }

  #enqueue<W extends { signal?: AbortSignal; onAbort?: () => void }>(
    q: W[],
    w: W,
    signal: AbortSignal | undefined,
    onAbort: () => void,
  ): void {
    if (this.#recvq.length + this.#sendq.length === 0) hold();
    if (q.length === 0) Atomics.add(this.#ring.i32, this.#word(q) + SLEEPERS, 1);
    q.push(w);
    if (signal !== undefined) {
      w.signal = signal;
      w.onAbort = onAbort;
      signal.addEventListener('abort', onAbort, { once: true });
    }
  }

  #word(q: unknown[]): number {
    return q === this.#recvq ? RECV_SEQ : SEND_SEQ;
  }

  /** Remove a settled waiter from its queue; release the keep-alive when nothing waits. */
  #dequeue<W extends { signal?: AbortSignal; onAbort?: () => void }>(q: W[], w: W): void {
    const i = q.indexOf(w);
    if (i < 0) return;
    q.splice(i, 1);
    if (q.length === 0) Atomics.sub(this.#ring.i32, this.#word(q) + SLEEPERS, 1);
    if (w.signal !== undefined) w.signal.removeEventListener('abort', w.onAbort!);
    if (this.#recvq.length + this.#sendq.length === 0) unhold();
  }

  #abortRecv(w: RecvWaiter): void {
    const ring = this.#ring;
    ring.lock();
    const r = ring.tryRecvLocked(); // E4: if a value is there, this receive completes instead
    ring.addRecvWaitingLocked(-1);
    ring.unlock();
    this.#dequeue(this.#recvq, w);
    if (r === undefined) {
      w.reject(new AbortError(w.signal?.reason));
      return;
    }
    wake(ring.i32, SEND_SEQ);
    w.resolve(r === CLOSED_EMPTY ? CLOSED : { value: this.#codec.decode(r), ok: true });
  }

  #abortSend(w: SendWaiter): void {
    const ring = this.#ring;
    let state = 'withdrawn' as 'withdrawn' | 'waiting' | 'done' | 'closed';
    if (w.ticket !== undefined) {
      ring.lock();
      if (!ring.withdrawLocked(w.ticket)) state = ring.parkedStateLocked(w.ticket);
      ring.unlock();
    }
    this.#dequeue(this.#sendq, w);
    if (state === 'done') {
      w.resolve();
      return;
    }
    if (state === 'closed') {
      w.reject(new SendOnClosedError());
      return;
    }
    wake(ring.i32, SEND_SEQ);
    w.reject(new AbortError(w.signal?.reason));
  }

  #armRecv(seq: number): void {
    if (this.#recvArmed || this.#recvq.length === 0) return;
    const p = waitChange(this.#ring.i32, RECV_SEQ, seq);
    if (p === undefined) {
      queueMicrotask(() => this.#pumpRecv());
      return;
    }
    this.#recvArmed = true;
    void p.then(() => {
      this.#recvArmed = false;
      this.#pumpRecv();
    });
  }

  #armSend(seq: number): void {
    if (this.#sendArmed || this.#sendq.length === 0) return;
    const p = waitChange(this.#ring.i32, SEND_SEQ, seq);
    if (p === undefined) {
      queueMicrotask(() => this.#pumpSend());
      return;
    }
    this.#sendArmed = true;
    void p.then(() => {
      this.#sendArmed = false;
      this.#pumpSend();
    });
  }

  /** Serve local receivers in FIFO order with what the ring has, then wait for more. */
  #pumpRecv(): void {
    const ring = this.#ring;
    const seq = Atomics.load(ring.i32, RECV_SEQ);
    const served: [RecvWaiter, unknown][] = [];
    ring.lock();
    for (const w of this.#recvq) {
      const r = ring.tryRecvLocked();
      if (r === undefined) break;
      ring.addRecvWaitingLocked(-1);
      served.push([w, r]);
    }
    ring.unlock();
    if (served.length > 0) wake(ring.i32, SEND_SEQ);
    for (const [w, r] of served) {
      this.#dequeue(this.#recvq, w);
      w.resolve(r === CLOSED_EMPTY ? CLOSED : { value: this.#codec.decode(r), ok: true });
    }
    this.#armRecv(seq);
  }

  /** Settle local senders whose values were taken, buffered or rejected; park the next ones. */
  #pumpSend(): void {
    const ring = this.#ring;
    const seq = Atomics.load(ring.i32, SEND_SEQ);
    const settled: [SendWaiter, Error | undefined][] = [];
    let parked = false;
    ring.lock();
    for (const w of this.#sendq) {
      if (w.ticket !== undefined) {
        const s = ring.parkedStateLocked(w.ticket);
        if (s !== 'waiting')
          settled.push([w, s === 'closed' ? new SendOnClosedError() : undefined]);
        continue;
      }
      if (ring.closed) {
        settled.push([w, new SendOnClosedError()]);
        continue;
      }
      if (ring.trySendLocked(w.p)) {
        settled.push([w, undefined]);
        parked = true;
        continue;
      }
      w.ticket = ring.parkLocked(w.p);
      if (w.ticket === undefined) break; // no free slot: later senders wait behind this one
      parked = true;
    }
    ring.unlock();
    if (parked) wake(ring.i32, RECV_SEQ);
    for (const [w, err] of settled) {
      this.#dequeue(this.#sendq, w);
      if (err) w.reject(err);
      else w.resolve();
    }
    this.#armSend(seq);
  }
}
