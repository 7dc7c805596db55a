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
 * (ERR_CHANNEL_INVALID_ARGUMENT). Batched traffic (`…Many`; for 'bytes', `…Records`, which copy
 * packed records between caller buffers and slots without allocating) takes the lock and wakes
 * the other side once per run, not per value: that carries millions of values a second.
 * Memory is bounded by (capacity + parkedSenders) slots: a full channel makes senders wait.
 *
 * Blocked operations wait in this endpoint's local queues (cross-thread-waiters.ts, E1, E2, E4).
 * Invariant E3: try* and batched operations never overtake this endpoint's own blocked ones
 * (FIFO within a thread): they return "would block" while any waits in the same direction.
 */
import * as batch from './cross-thread-batch.js';
import type { Codec } from './cross-thread-codecs.js';
import { RECV_SEQ, SEND_SEQ } from './cross-thread-layout.js';
import { type CrossThreadChannelOptions, createChannelBuffer } from './cross-thread-options.js';
import { CLOSED_EMPTY, Ring } from './cross-thread-ring.js';
import { CLOSED, Waiters, wake } from './cross-thread-waiters.js';
import { AbortError, SendOnClosedError } from './errors.js';
import type { ChannelLike, RecvResult } from './types.js';

export { CROSS_THREAD_DEFAULTS, type CrossThreadChannelOptions } from './cross-thread-options.js';

export class CrossThreadChannel<T> implements ChannelLike<T> {
  readonly #ring: Ring;
  readonly #codec: Codec;
  readonly #shared: SharedArrayBuffer;
  readonly #waiters: Waiters;
  readonly #ep: batch.Endpoint;

  /** A new channel (`capacity` or options); its first endpoint is this object. */
  constructor(options: number | CrossThreadChannelOptions = {}, shared?: SharedArrayBuffer) {
    shared ??= createChannelBuffer(options);
    this.#shared = shared;
    this.#ring = new Ring(shared);
    this.#codec = this.#ring.codecImpl;
    this.#waiters = new Waiters(this.#ring, this.#codec);
    this.#ep = {
      ring: this.#ring,
      codec: this.#codec,
      waiters: this.#waiters,
      send: (v, signal) => this.send(v as T, signal),
      recv: (signal) => this.recv(signal),
    };
  }

  /** Another endpoint of the channel whose `shared` buffer this is (on another thread). */
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
  /** Slots holding values now (buffered + parked), ≤ slotCount. */
  get queued(): number {
    return this.#ring.used;
  }
  get slotCount(): number {
    return this.#ring.slots;
  }

  trySend(value: T): boolean {
    const p = batch.prepare(this.#ring, this.#codec, value);
    if (this.#waiters.senders > 0) {
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
    if (this.#waiters.receivers > 0) return undefined;
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
   * ERR_SEND_ON_CLOSED when closed; every value is validated first (ERR_CHANNEL_INVALID_ARGUMENT
   * sends nothing).
   */
  trySendMany(values: readonly T[], from = 0): number {
    return batch.sendPrepared(this.#ep, batch.prepareAll(this.#ep, values, from), 0);
  }

  /** Send every value in order, waiting for room as `send` does (backpressure); one lock and
   *  one wake-up per run of values that fit. On abort or close, the values before the failing
   *  one were sent. */
  sendMany(values: readonly T[], signal?: AbortSignal): Promise<void> {
    return batch.sendMany(this.#ep, values, signal);
  }

  /** Up to `max` values that are ready now, under one lock: `undefined` if it would block,
   *  `[]` once closed and drained. */
  tryRecvMany(max: number): T[] | undefined {
    return batch.tryRecvMany(this.#ep, max) as T[] | undefined;
  }

  /** Wait for at least one value, then take up to `max` that are ready: `[]` once closed and
   *  drained. The consumer side of batched traffic (`tryRecvMany(n) ?? await recvMany(n)`). */
  recvMany(max: number, signal?: AbortSignal): Promise<T[]> {
    return batch.recvMany(this.#ep, max, signal) as Promise<T[]>;
  }

  /**
   * Records for the 'bytes' codec, without a Uint8Array per record: send the records packed
   * back to back in `src`, each `recordBytes` long, that complete now (the count). Same rules
   * as trySendMany; other codecs throw ERR_UNSUPPORTED_CHANNEL.
   */
  trySendRecords(src: Uint8Array, recordBytes: number): number {
    return batch.trySendRecords(this.#ep, src, recordBytes);
  }

  /** Send every record of `src` in order, waiting for room as `send` does (backpressure). The
   *  records are copied: `src` is the caller's again once the promise settles. */
  sendRecords(src: Uint8Array, recordBytes: number, signal?: AbortSignal): Promise<void> {
    return batch.sendRecords(this.#ep, src, recordBytes, signal);
  }

  /**
   * Copy the records that are ready into `dst`, back to back (each one's length into
   * `lengths[i]` when given; without it, as many as fit), under one lock: their count, `0` once
   * closed and drained, `undefined` if it would block. `dst` holds at least one slot
   * (options.slotBytes); nothing is allocated.
   */
  tryRecvRecords(dst: Uint8Array, lengths?: Uint32Array): number | undefined {
    return batch.tryRecvRecords(this.#ep, dst, lengths);
  }

  /** Wait for at least one record, then copy those that are ready, as tryRecvRecords: the
   *  count, `0` once closed and drained. */
  recvRecords(dst: Uint8Array, lengths?: Uint32Array, signal?: AbortSignal): Promise<number> {
    return batch.recvRecords(this.#ep, dst, lengths, signal);
  }

  send(value: T, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const ring = this.#ring;
    const seq = Atomics.load(ring.i32, SEND_SEQ);
    let p: unknown;
    let ticket: number | undefined;
    try {
      p = batch.prepare(this.#ring, this.#codec, value);
      if (this.#waiters.senders === 0) {
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
    return this.#waiters.send(p, ticket, seq, signal);
  }

  recv(signal?: AbortSignal): Promise<RecvResult<T>> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const ring = this.#ring;
    const seq = Atomics.load(ring.i32, RECV_SEQ);
    ring.lock();
    const r = this.#waiters.receivers === 0 ? ring.tryRecvLocked() : undefined;
    if (r === undefined) ring.addRecvWaitingLocked(1);
    ring.unlock();
    wake(ring.i32, SEND_SEQ);
    if (r === CLOSED_EMPTY) return Promise.resolve(CLOSED);
    if (r !== undefined) return Promise.resolve({ value: this.#codec.decode(r) as T, ok: true });
    return this.#waiters.recv(seq, signal) as Promise<RecvResult<T>>;
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
}
