/**
 * ChannelLike<number> views over a CrossThreadChannel, so the conformance suite (which speaks
 * numbers) runs on every codec and on the batch operations. Each view only translates values
 * and calls; every semantic (blocking, FIFO, close, abort) is the real channel's.
 */
import type { ChannelLike, CrossThreadChannel, RecvResult } from '../../src/channels/index.js';

type Ops = Pick<ChannelLike<number>, 'send' | 'trySend' | 'recv' | 'tryRecv'>;

/** A ChannelLike<number> from translated operations; the rest is the channel's own. */
function like(ch: CrossThreadChannel<never>, ops: Ops): ChannelLike<number> {
  return {
    ...ops,
    get length() {
      return ch.length;
    },
    get capacity() {
      return ch.capacity;
    },
    close: () => ch.close(),
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const r = await ops.recv();
        if (!r.ok) return;
        yield r.value;
      }
    },
  };
}

function view<T>(
  ch: CrossThreadChannel<T>,
  to: (n: number) => T,
  from: (v: T) => number,
  batched: boolean,
): ChannelLike<number> {
  const out = (r: RecvResult<T>): RecvResult<number> =>
    r.ok ? { value: from(r.value), ok: true } : r;
  const outMany = (vs: T[]): RecvResult<number> =>
    vs.length === 0 ? { value: undefined, ok: false } : { value: from(vs[0]!), ok: true };
  return like(ch as CrossThreadChannel<never>, {
    send: (n, signal) => (batched ? ch.sendMany([to(n)], signal) : ch.send(to(n), signal)),
    trySend: (n) => (batched ? ch.trySendMany([to(n)]) === 1 : ch.trySend(to(n))),
    recv: async (signal) =>
      batched ? outMany(await ch.recvMany(1, signal)) : out(await ch.recv(signal)),
    tryRecv: () => {
      if (!batched) {
        const r = ch.tryRecv();
        return r && out(r);
      }
      const vs = ch.tryRecvMany(1);
      return vs && outMany(vs);
    },
  });
}

/** Numbers as 8-byte little-endian records on a 'bytes' channel. */
export function bytesView(ch: CrossThreadChannel<Uint8Array>): ChannelLike<number> {
  return view(
    ch,
    (n) => new Uint8Array(new Float64Array([n]).buffer),
    (b) => new Float64Array(b.buffer, b.byteOffset, 1)[0]!,
    false,
  );
}

/**
 * Numbers as 8-byte records on a 'bytes' channel, every operation through the records API with
 * batches of one: trySendRecords/sendRecords and tryRecvRecords/recvRecords into a fresh
 * caller buffer each time.
 */
export function recordsView(ch: CrossThreadChannel<Uint8Array>): ChannelLike<number> {
  const enc = (n: number) => new Uint8Array(new Float64Array([n]).buffer);
  const dec = (dst: Uint8Array) => new Float64Array(dst.buffer, 0, 1)[0]!;
  const take = (count: number | undefined, dst: Uint8Array): RecvResult<number> | undefined =>
    count === undefined
      ? undefined
      : count === 0
        ? { value: undefined, ok: false }
        : { value: dec(dst), ok: true };
  const one = () => new Uint32Array(1);
  return like(ch as CrossThreadChannel<never>, {
    send: (n, signal) => ch.sendRecords(enc(n), 8, signal),
    trySend: (n) => ch.trySendRecords(enc(n), 8) === 1,
    recv: async (signal) => {
      const dst = new Uint8Array(8);
      return take(await ch.recvRecords(dst, one(), signal), dst)!;
    },
    tryRecv: () => {
      const dst = new Uint8Array(8);
      return take(ch.tryRecvRecords(dst, one()), dst);
    },
  });
}

/** Every operation through the batch API with batches of one. */
export function batchedView(ch: CrossThreadChannel<number>): ChannelLike<number> {
  return view(
    ch,
    (n) => n,
    (n) => n,
    true,
  );
}
