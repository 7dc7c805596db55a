/**
 * The blocked operations of one CrossThreadChannel endpoint (one thread): local FIFO queues of
 * receivers and senders, and one pump per direction that waits (Atomics.waitAsync) for the
 * shared sequence word to change, then serves its queue in order under the ring's lock.
 * Invariants:
 *   E1 every local receiver is counted once in the shared RECV_WAITING until it is settled;
 *   E2 a local sender either waits for a free slot (no ticket) or is parked (ticket) and settles
 *      when the ring says its value is buffered or taken ('done') or rejected by close;
 *   E4 an operation that can complete when its signal aborts completes (Go: a ready case wins).
 * A queue's first waiter adds this endpoint to the word's SLEEPERS count, its last one removes
 * it; `wake` notifies only when that count is non-zero.
 */
import type { Codec } from './cross-thread-codecs.js';
import { RECV_SEQ, SEND_SEQ, SLEEPERS } from './cross-thread-layout.js';
import { CLOSED_EMPTY, type Ring } from './cross-thread-ring.js';
import { hold, unhold, waitChange } from './cross-thread-wait.js';
import { AbortError, SendOnClosedError } from './errors.js';
import type { RecvResult } from './types.js';

interface Waiter {
  signal?: AbortSignal;
  onAbort?: () => void;
}
interface RecvWaiter extends Waiter {
  resolve(r: RecvResult<unknown>): void;
  reject(e: Error): void;
}
interface SendWaiter extends Waiter {
  p: unknown;
  ticket: number | undefined;
  resolve(): void;
  reject(e: Error): void;
}

/** Notify a wait word only when some endpoint sleeps on it (Atomics.notify takes a global
 *  lock in V8). Safe: sleepers are counted before they read the word they will wait on, and we
 *  read the count after bumping the word (both seq-cst), so one of us sees the other. */
export function wake(a: Int32Array, word: number): void {
  if (Atomics.load(a, word + SLEEPERS) > 0) Atomics.notify(a, word);
}

export const CLOSED: RecvResult<never> = Object.freeze({ value: undefined, ok: false }) as never;

export class Waiters {
  readonly #ring: Ring;
  readonly #codec: Codec;
  readonly #recvq: RecvWaiter[] = [];
  readonly #sendq: SendWaiter[] = [];
  #recvArmed = false;
  #sendArmed = false;

  constructor(ring: Ring, codec: Codec) {
    this.#ring = ring;
    this.#codec = codec;
  }

  get receivers(): number {
    return this.#recvq.length;
  }
  get senders(): number {
    return this.#sendq.length;
  }

  /** Wait until the prepared value `p` is sent; `ticket` if it is parked already. `seq` is
   *  SEND_SEQ read before the attempt that failed. */
  send(p: unknown, ticket: number | undefined, seq: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w: SendWaiter = { p, ticket, resolve, reject };
      this.#enqueue(this.#sendq, w, signal, () => this.#abortSend(w));
      this.#armSend(seq);
    });
  }

  /** Wait for a value; the caller has counted this receiver in RECV_WAITING (E1). */
  recv(seq: number, signal?: AbortSignal): Promise<RecvResult<unknown>> {
    return new Promise<RecvResult<unknown>>((resolve, reject) => {
      const w: RecvWaiter = { resolve, reject };
      this.#enqueue(this.#recvq, w, signal, () => this.#abortRecv(w));
      this.#armRecv(seq);
    });
  }

  #enqueue<W extends Waiter>(q: W[], w: W, signal: AbortSignal | undefined, onAbort: () => void) {
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
  #dequeue<W extends Waiter>(q: W[], w: W): void {
    const i = q.indexOf(w);
    if (i < 0) return;
    q.splice(i, 1);
    if (q.length === 0) Atomics.sub(this.#ring.i32, this.#word(q) + SLEEPERS, 1);
    if (w.signal !== undefined) w.signal.removeEventListener('abort', w.onAbort!);
    if (this.#recvq.length + this.#sendq.length === 0) unhold();
  }

  #result(r: unknown): RecvResult<unknown> {
    return r === CLOSED_EMPTY ? CLOSED : { value: this.#codec.decode(r), ok: true };
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
    w.resolve(this.#result(r));
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
      w.resolve(this.#result(r));
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
