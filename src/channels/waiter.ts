/**
 * Blocked operations and the queues that hold them (Go's `sudog` and `waitq`).
 *
 * A `Waiter` is its own list node, so a queue costs no allocation per entry and any waiter can
 * be removed in O(1) — needed when a select's losing cases or an aborted operation leave.
 *
 * Invariants:
 * - a waiter is in at most one queue; `queue` points to it (null when not queued);
 * - a select waiter is queued only while its select has not fired (`SelectWait.fired` false):
 *   the select unlinks every sibling synchronously when one case wins, so a queue never holds a
 *   dead waiter and dequeue never needs to skip.
 *
 * Plain operations (not select) park and are settled through the functions at the end; a select
 * settles its waiters itself (select.ts), so each of them hands a select waiter to its select.
 */
import { AbortError } from './errors.js';

/** A select in progress: the shared state of all its waiters. */
export interface SelectWait {
  /** Set once, by the first case to complete; every later attempt is an invariant violation. */
  fired: boolean;
  /** Called by the channel that completes one of this select's waiters. */
  win(w: Waiter, value: unknown, ok: boolean): void;
  fail(w: Waiter, err: Error): void;
}

export class Waiter {
  prev: Waiter | null = null;
  next: Waiter | null = null;
  queue: WaitQueue | null = null;
  /** The abort listener to remove when this waiter completes (plain ops only). */
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;

  constructor(
    /** For a sender: the value it delivers. */
    public value: unknown,
    /** Null for a plain send/recv. */
    public readonly sel: SelectWait | null,
    /** The case index within the select. */
    public readonly index: number,
    public readonly resolve: (v: never) => void,
    public readonly reject: (e: Error) => void,
  ) {}

  /** Detach the abort listener (called when the waiter completes for any reason). */
  release(): void {
    if (this.signal !== undefined) {
      this.signal.removeEventListener('abort', this.onAbort!);
      this.signal = undefined;
      this.onAbort = undefined;
    }
  }
}

/** FIFO of waiters: first come, first served. */
export class WaitQueue {
  head: Waiter | null = null;
  tail: Waiter | null = null;

  push(w: Waiter): void {
    w.queue = this;
    w.prev = this.tail;
    w.next = null;
    if (this.tail === null) this.head = w;
    else this.tail.next = w;
    this.tail = w;
  }

  shift(): Waiter | null {
    const w = this.head;
    if (w !== null) this.remove(w);
    return w;
  }

  remove(w: Waiter): void {
    if (w.queue !== this) return;
    if (w.prev === null) this.head = w.next;
    else w.prev.next = w.next;
    if (w.next === null) this.tail = w.prev;
    else w.next.prev = w.prev;
    w.prev = w.next = null;
    w.queue = null;
  }
}

/** A queued sender's value was taken. */
export function wakeSend(w: Waiter): void {
  if (w.sel !== null) {
    w.sel.win(w, undefined, true);
    return;
  }
  w.release();
  (w.resolve as () => void)();
}

export function failSend(w: Waiter, err: Error): void {
  if (w.sel !== null) {
    w.sel.fail(w, err);
    return;
  }
  w.release();
  w.reject(err);
}

/** Arrange for an abort to unlink `w` and reject; the channel is left exactly as before. */
function watchAbort(w: Waiter, signal: AbortSignal): void {
  w.signal = signal;
  w.onAbort = () => {
    w.queue?.remove(w);
    w.signal = undefined;
    w.reject(new AbortError(signal.reason));
  };
  signal.addEventListener('abort', w.onAbort, { once: true });
}

// A module-level executor hands out the promise's resolvers without allocating a closure per
// blocked operation (the executor runs synchronously inside the Promise constructor).
let parkedResolve: ((v: never) => void) | undefined;
let parkedReject: ((e: Error) => void) | undefined;
function capture(resolve: (v: never) => void, reject: (e: Error) => void): void {
  parkedResolve = resolve;
  parkedReject = reject;
}

/** Block a plain send or recv: queue a waiter on `q` and return the promise it settles. */
export function park<R>(
  q: WaitQueue,
  value: unknown,
  index: number,
  signal: AbortSignal | undefined,
): Promise<R> {
  const p = new Promise<R>(capture as never);
  const w = new Waiter(value, null, index, parkedResolve!, parkedReject!);
  parkedResolve = parkedReject = undefined;
  q.push(w);
  if (signal !== undefined) watchAbort(w, signal);
  return p;
}
