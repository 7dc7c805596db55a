/**
 * Port channels: a bounded single-producer/single-consumer channel over a MessagePort pair with
 * credit-based backpressure. Node's postMessage queues without limit; here the sender holds
 * `capacity` credits, spends one per value, and gets them back as the receiver consumes — so at
 * most `capacity` values are ever in flight or buffered. Values are structured-cloned by
 * postMessage itself (natively: ~3× the throughput of the SharedArrayBuffer ring on bulk streams,
 * bench/results/actors.md). Use CrossThreadChannel instead when you need unbuffered rendezvous,
 * several producers or consumers, or synchronous knowledge of the other side.
 *
 *   const { sendEnd, recvEnd } = createPortChannel(64);
 *   worker.postMessage(recvEnd, [recvEnd.port]);      // or workerData + transferList
 *   const tx = new PortSender<T>(sendEnd);            // here;  new PortReceiver<T>(end) there
 *
 * Invariants:
 *   P1 credits + values in flight + values in the receiver's inbox + credits owed = capacity.
 *   P2 the receiver returns owed credits once `ceil(capacity/4)` accumulate (batched), so a
 *      blocked sender always gets credits back after at most that many receives.
 *   P3 a blocked operation keeps its port ref'd (the thread stays alive); otherwise it is unref'd.
 *   P4 close (or the other side's port closing: its thread ended) is delivered after every value
 *      sent before it; receivers drain, then get ok=false; blocked senders reject ERR_SEND_ON_CLOSED.
 */
import { MessageChannel, MessagePort } from 'node:worker_threads';
import { AbortError, CloseOfClosedError, InvalidOptionError, SendOnClosedError } from './errors.js';
import type { RecvChannel, RecvResult, SendChannel } from './types.js';

/** One end of a port channel: post it to another thread with `[end.port]` in the transfer list. */
export interface PortChannelEnd {
  port: MessagePort;
  capacity: number;
}

export function createPortChannel(capacity: number): {
  sendEnd: PortChannelEnd;
  recvEnd: PortChannelEnd;
} {
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 20) {
    throw new InvalidOptionError('options.capacity must be an integer in [1, 2^20] (credits)');
  }
  const { port1, port2 } = new MessageChannel();
  return { sendEnd: { port: port1, capacity }, recvEnd: { port: port2, capacity } };
}

function checkEnd(end: PortChannelEnd): PortChannelEnd {
  if (!(end?.port instanceof MessagePort) || !Number.isInteger(end.capacity) || end.capacity < 1) {
    throw new InvalidOptionError('end must come from createPortChannel()');
  }
  return end;
}

interface Waiter<R> {
  resolve(r: R): void;
  reject(e: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Queue a blocked operation (P3: ref the port while anything waits). */
function park<R, W extends Waiter<R>>(port: MessagePort, q: W[], w: W, signal?: AbortSignal): void {
  if (q.length === 0) port.ref();
  q.push(w);
  if (signal) {
    w.signal = signal;
    w.onAbort = () => {
      unpark(port, q, w);
      w.reject(new AbortError(signal.reason));
    };
    signal.addEventListener('abort', w.onAbort, { once: true });
  }
}

function unpark<W extends Waiter<never>>(port: MessagePort, q: W[], w: W): void {
  const i = q.indexOf(w);
  if (i >= 0) q.splice(i, 1);
  w.signal?.removeEventListener('abort', w.onAbort!);
  if (q.length === 0) port.unref();
}

type ToReceiver = { v: unknown } | { close: true };

export class PortSender<T> implements SendChannel<T> {
  readonly capacity: number;
  readonly #port: MessagePort;
  readonly #blocked: (Waiter<void> & { value: T })[] = [];
  #credits: number;
  #closed = false;

  constructor(end: PortChannelEnd) {
    checkEnd(end);
    this.#port = end.port;
    this.capacity = end.capacity;
    this.#credits = end.capacity;
    this.#port.on('message', (n: number) => {
      this.#credits += n;
      this.#flush();
    });
    this.#port.on('close', () => this.#fail());
    this.#port.unref();
  }

  /** Values sent and not yet consumed by the receiver (credits outstanding). */
  get length(): number {
    return this.capacity - this.#credits;
  }

  trySend(value: T): boolean {
    if (this.#closed) throw new SendOnClosedError();
    if (this.#credits === 0 || this.#blocked.length > 0) return false;
    this.#post(value);
    return true;
  }

  send(value: T, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    try {
      if (this.trySend(value)) return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) =>
      park(this.#port, this.#blocked, { value, resolve, reject }, signal),
    );
  }

  close(): void {
    if (this.#closed) throw new CloseOfClosedError();
    this.#port.postMessage({ close: true } satisfies ToReceiver);
    this.#fail();
  }

  #post(value: T): void {
    this.#credits--;
    this.#port.postMessage({ v: value } satisfies ToReceiver);
  }

  #flush(): void {
    while (this.#credits > 0 && this.#blocked.length > 0) {
      const w = this.#blocked[0]!;
      unpark(this.#port, this.#blocked, w);
      try {
        this.#post(w.value);
      } catch (err) {
        w.reject(err as Error); // not cloneable: this send fails, the credit is not spent
        this.#credits++;
        continue;
      }
      w.resolve();
    }
  }

  /** Closed here, or the receiving side went away: no more sends. */
  #fail(): void {
    this.#closed = true;
    for (const w of [...this.#blocked]) {
      unpark(this.#port, this.#blocked, w);
      w.reject(new SendOnClosedError());
    }
  }
}

const CLOSED: RecvResult<never> = Object.freeze({ value: undefined, ok: false }) as never;

export class PortReceiver<T> implements RecvChannel<T> {
  readonly capacity: number;
  readonly #port: MessagePort;
  readonly #inbox: T[] = [];
  readonly #waiting: Waiter<RecvResult<T>>[] = [];
  readonly #batch: number;
  #owed = 0;
  #closed = false;

  constructor(end: PortChannelEnd) {
    checkEnd(end);
    this.#port = end.port;
    this.capacity = end.capacity;
    this.#batch = Math.ceil(end.capacity / 4);
    this.#port.on('message', (m: ToReceiver) => {
      if ('close' in m) this.#end();
      else if (this.#waiting.length > 0) this.#deliver(this.#waiting[0]!, m.v as T);
      else this.#inbox.push(m.v as T);
    });
    this.#port.on('close', () => this.#end());
    this.#port.unref();
  }

  get length(): number {
    return this.#inbox.length;
  }

  tryRecv(): RecvResult<T> | undefined {
    if (this.#inbox.length > 0) {
      this.#consumed();
      return { value: this.#inbox.shift() as T, ok: true };
    }
    return this.#closed ? CLOSED : undefined;
  }

  recv(signal?: AbortSignal): Promise<RecvResult<T>> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const r = this.#waiting.length === 0 ? this.tryRecv() : undefined;
    if (r !== undefined) return Promise.resolve(r);
    return new Promise((resolve, reject) =>
      park(this.#port, this.#waiting, { resolve, reject }, signal),
    );
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const done: IteratorReturnResult<undefined> = { value: undefined, done: true };
    return {
      next: async () => {
        const r = await this.recv();
        return r.ok ? { value: r.value, done: false } : done;
      },
      return: () => Promise.resolve(done),
    };
  }

  #deliver(w: Waiter<RecvResult<T>>, value: T): void {
    unpark(this.#port, this.#waiting, w);
    this.#consumed();
    w.resolve({ value, ok: true });
  }

  /** P2: hand credits back in batches. */
  #consumed(): void {
    if (++this.#owed >= this.#batch) {
      this.#port.postMessage(this.#owed);
      this.#owed = 0;
    }
  }

  #end(): void {
    this.#closed = true;
    if (this.#inbox.length > 0) return; // waiters exist only when the inbox is empty
    for (const w of [...this.#waiting]) {
      unpark(this.#port, this.#waiting, w);
      w.resolve(CLOSED);
    }
  }
}
