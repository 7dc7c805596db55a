/**
 * One adapter per channel library over the same workloads (workloads.ts). Each adapter uses its
 * library the way its docs recommend for a hot loop: ts-chan's Select object is built once and
 * reused, and so is our case array (select() cases are immutable descriptors). Results stay in
 * each library's own shape until `got()` reads them, so no adapter pays for an extra `.then`.
 */
import * as tc from 'ts-chan';
import { Channel, type RecvResult, recv, select } from '../../src/channels/index.js';

export interface Chan {
  send(v: number): Promise<void>;
  /** Resolves with a library-specific result; read it with `got`. */
  recv(): Promise<unknown>;
  /** The value of a recv/tryRecv result, or undefined when closed or it would block. */
  got(r: unknown): number | undefined;
  trySend(v: number): boolean;
  tryRecv(): unknown;
  close(): void;
  [Symbol.asyncIterator](): AsyncIterator<number>;
}

export interface Adapter {
  readonly name: string;
  make(capacity: number): Chan;
  /** A reusable two-way receive select over a and b; resolves when one value was received. */
  select2(a: Chan, b: Chan): () => Promise<unknown>;
}

/** Ours already has the shape: Channel<number> is used directly. */
class Ours extends Channel<number> implements Chan {
  got(r: unknown): number | undefined {
    return (r as RecvResult<number> | undefined)?.value;
  }
}

export const ours: Adapter = {
  name: 'ours',
  make: (capacity) => new Ours(capacity),
  select2(a, b) {
    const cases = [recv(a as Ours), recv(b as Ours)] as const;
    return () => select(cases);
  },
};

class TsChan implements Chan {
  readonly ch: tc.Chan<number>;
  constructor(capacity: number, unsafe: boolean) {
    this.ch = new tc.Chan<number>(capacity).setUnsafe(unsafe);
  }
  send(v: number): Promise<void> {
    return this.ch.send(v);
  }
  recv(): Promise<unknown> {
    return this.ch.recv();
  }
  got(r: unknown): number | undefined {
    const res = r as IteratorResult<number, number | undefined> | undefined;
    return res === undefined || res.done ? undefined : res.value;
  }
  trySend(v: number): boolean {
    return this.ch.trySend(v);
  }
  tryRecv(): unknown {
    return this.ch.tryRecv();
  }
  close(): void {
    this.ch.close();
  }
  [Symbol.asyncIterator](): AsyncIterator<number> {
    return this.ch[Symbol.asyncIterator]();
  }
}

function tsChan(unsafe: boolean): Adapter {
  return {
    name: unsafe ? 'ts-chan-unsafe' : 'ts-chan',
    make: (capacity) => new TsChan(capacity, unsafe),
    select2(a, b) {
      const ca = tc.recv((a as TsChan).ch);
      const cb = tc.recv((b as TsChan).ch);
      const sel = new tc.Select([ca, cb]).setUnsafe(unsafe);
      return async () => {
        const i = await sel.wait();
        return i === 0 ? sel.recv(ca) : sel.recv(cb);
      };
    },
  };
}

/**
 * ts-chan as shipped (yields to the macrotask queue inside send/recv/wait so that two channel
 * loops cannot starve I/O), and with `setUnsafe(true)`, which skips that: the like-for-like
 * comparison with ours, which never yields on its own.
 */
export const adapters: Record<string, Adapter> = {
  ours,
  'ts-chan': tsChan(false),
  'ts-chan-unsafe': tsChan(true),
};
