import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CrossThreadChannel } from '../../src/channels/index.js';
import { workerFile } from '../../src/worker-file.js';

// The typed codecs and the batch operations, beyond the conformance suite (which runs them
// value by value in cross-thread.test.ts).
const peer = workerFile(import.meta.url, '../fixtures/actors/channel-peer.worker');
const started: Worker[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.terminate()));
});

describe('CrossThreadChannel typed codecs and batches', () => {
  it('f64 carries any number exactly; other values are refused with a coded error', async () => {
    const ch = new CrossThreadChannel<number>({ capacity: 8, codec: 'f64', slotBytes: 8 });
    const values = [0, -0, 1.5, -1e308, Number.MAX_SAFE_INTEGER, Number.NaN, Infinity];
    expect(ch.trySendMany(values)).toBe(values.length);
    expect(ch.tryRecvMany(100)).toEqual(values);
    expect(() => ch.trySend('1' as never)).toThrow(
      expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_ARGUMENT' }),
    );
    // Validation comes first: a bad value anywhere in a batch sends nothing.
    expect(() => ch.trySendMany([1, 2, 'x' as never])).toThrow(/carries numbers/);
    expect(ch.length).toBe(0);
  });

  it('bytes records arrive as private copies; too long is refused naming slotBytes', async () => {
    const ch = new CrossThreadChannel<Uint8Array>({ capacity: 2, codec: 'bytes', slotBytes: 16 });
    const rec = new Uint8Array([1, 2, 3, 4]);
    await ch.send(rec);
    await ch.send(new Uint8Array(0));
    const [a, b] = (await ch.recvMany(5)) as [Uint8Array, Uint8Array];
    expect([...a]).toEqual([1, 2, 3, 4]);
    expect(b.length).toBe(0);
    expect(a.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(() => ch.trySend(new Uint8Array(17))).toThrow(/options.slotBytes/);
    expect(() => ch.trySend([1, 2] as never)).toThrow(/Uint8Array/);
  });

  it('trySendMany sends the prefix that fits; sendMany waits for room (backpressure)', async () => {
    const ch = new CrossThreadChannel<number>({ capacity: 3, codec: 'f64' });
    expect(ch.trySendMany([1, 2, 3, 4, 5])).toBe(3);
    expect(ch.trySendMany([4, 5])).toBe(0);
    const all = ch.sendMany([4, 5, 6, 7]);
    let done = false;
    void all.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    expect(ch.queued).toBeLessThanOrEqual(ch.slotCount);
    const got: number[] = [];
    while (got.length < 7) got.push(...(ch.tryRecvMany(2) ?? (await ch.recvMany(2))));
    await all;
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(() => ch.tryRecvMany(0)).toThrow(/max/);
  });

  it('recvMany: [] once closed and drained; tryRecvMany: undefined when it would block', async () => {
    const ch = new CrossThreadChannel<number>({ capacity: 4, codec: 'f64' });
    expect(ch.tryRecvMany(4)).toBeUndefined();
    const waiting = ch.recvMany(4);
    await ch.sendMany([9, 8]);
    expect(await waiting).toEqual([9, 8]); // the first value wakes it, the rest come along
    await ch.sendMany([7]);
    ch.close();
    expect(ch.tryRecvMany(4)).toEqual([7]);
    expect(ch.tryRecvMany(4)).toEqual([]);
    expect(await ch.recvMany(4)).toEqual([]);
    await expect(ch.sendMany([1])).rejects.toMatchObject({ code: 'ERR_SEND_ON_CLOSED' });
  });

  it('a producer thread streams in batches: every number once, in order, then close', async () => {
    const ch = new CrossThreadChannel<number>({ capacity: 64, codec: 'f64' });
    const count = 20_000;
    const w = new Worker(peer.url, {
      execArgv: peer.execArgv,
      workerData: { mode: 'produce-many', shared: ch.shared, count },
    });
    started.push(w);
    const reported = once(w, 'message');
    let expected = 0;
    for (;;) {
      const vs = ch.tryRecvMany(256) ?? (await ch.recvMany(256));
      if (vs.length === 0) break;
      for (const v of vs) expect(v).toBe(expected++);
      expect(ch.queued).toBeLessThanOrEqual(ch.slotCount);
    }
    expect(expected).toBe(count);
    expect((await reported)[0]).toEqual({ produced: count });
  });
});
