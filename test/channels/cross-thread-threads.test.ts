import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CrossThreadChannel } from '../../src/channels/index.js';
import { workerFile } from '../../src/worker-file.js';

const peer = workerFile(import.meta.url, '../fixtures/actors/channel-peer.worker');
const started: Worker[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.terminate()));
});

function start(data: Record<string, unknown>): Worker {
  const w = new Worker(peer.url, { execArgv: peer.execArgv, workerData: data });
  started.push(w);
  return w;
}

/** The worker's next message; fails if the thread exits first (e.g. nothing kept it alive). */
async function next<T>(w: Worker): Promise<T> {
  const exit = once(w, 'exit').then(([code]) => {
    throw new Error(`worker exited (${code}) before answering`);
  });
  return (await Promise.race([once(w, 'message'), exit]))[0] as T;
}

const waitAsync = (
  Atomics as unknown as {
    waitAsync: (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<string> };
  }
).waitAsync;

describe('CrossThreadChannel across threads', () => {
  it('keeps each producer’s order; every value arrives exactly once (3 producer threads)', async () => {
    const ch = new CrossThreadChannel<{ p: number; i: number }>({ capacity: 16 });
    const count = 3000;
    const ws = [0, 1, 2].map((id) => start({ mode: 'produce', shared: ch.shared, id, count }));
    const done = Promise.all(ws.map((w) => next(w)));
    const nextIndex = [0, 0, 0];
    for (let n = 0; n < 3 * count; n++) {
      const r = await ch.recv();
      expect(r.ok).toBe(true);
      const { p, i } = r.value!;
      expect(i).toBe(nextIndex[p]); // per-producer FIFO
      nextIndex[p]!++;
    }
    await done;
    expect(nextIndex).toEqual([count, count, count]);
    expect(ch.tryRecv()).toBeUndefined();
  });

  it('several consumer threads share the stream: exactly once, in order per consumer', async () => {
    const ch = new CrossThreadChannel<number>({ capacity: 4 });
    const ws = [0, 1].map((id) => start({ mode: 'consume', shared: ch.shared, id }));
    const results = Promise.all(ws.map((w) => next<{ got: number[] }>(w)));
    for (let i = 0; i < 4000; i++) await ch.send(i);
    ch.close();
    const [a, b] = (await results).map((r) => r.got);
    for (const got of [a!, b!])
      for (let k = 1; k < got.length; k++) expect(got[k]!).toBeGreaterThan(got[k - 1]!);
    expect([...a!, ...b!].sort((x, y) => x - y)).toEqual(Array.from({ length: 4000 }, (_, i) => i));
  });

  it('close wakes a receiver blocked on another thread (kept alive only by the channel)', async () => {
    const ch = new CrossThreadChannel<string>({ capacity: 2 });
    const w = start({ mode: 'recv-once', shared: ch.shared });
    expect(await next(w)).toBe('ready'); // its recv registered in the same turn
    ch.close();
    expect(await next(w)).toEqual({ result: { value: undefined, ok: false } });
  });

  it('a value sent here wakes a receiver blocked on another thread', async () => {
    const ch = new CrossThreadChannel<{ n: number }>(0);
    const w = start({ mode: 'recv-once', shared: ch.shared });
    expect(await next(w)).toBe('ready');
    await ch.send({ n: 42 }); // unbuffered: resolves once the other thread has it
    expect(await next(w)).toEqual({ result: { value: { n: 42 }, ok: true } });
  });

  it('close rejects a sender blocked on another thread with ERR_SEND_ON_CLOSED', async () => {
    const ch = new CrossThreadChannel<string>({ capacity: 3 });
    const w = start({ mode: 'send-blocked', shared: ch.shared });
    expect(await next(w)).toBe('ready');
    ch.close();
    expect(await next(w)).toEqual({ outcome: 'ERR_SEND_ON_CLOSED' });
    for (let i = 0; i < 3; i++) expect(await ch.recv()).toEqual({ value: 'fill', ok: true });
    expect(await ch.recv()).toEqual({ value: undefined, ok: false });
  });

  it('a full channel makes producer threads wait: queued values stay bounded', async () => {
    const capacity = 8;
    const ch = new CrossThreadChannel<{ p: number; i: number }>({ capacity, parkedSenders: 4 });
    const progress = new SharedArrayBuffer(3 * 4);
    const done = new Int32Array(progress);
    const count = 2000;
    const ws = [0, 1, 2].map((id) =>
      start({ mode: 'produce', shared: ch.shared, id, count, progress }),
    );
    const finished = Promise.all(ws.map((w) => next(w)));
    // Wait (Atomics, no sleeping) until the buffer is full: `capacity` sends have completed.
    for (;;) {
      const total = done[0]! + done[1]! + done[2]!;
      if (total >= capacity) break;
      const r = waitAsync(done, 0, done[0]!);
      if (r.async) await Promise.race([r.value, new Promise((res) => setTimeout(res, 5))]);
    }
    // Give the producers ample time to misbehave, then check they did not run ahead.
    await new Promise((r) => setTimeout(r, 100));
    expect(done[0]! + done[1]! + done[2]!).toBe(capacity);
    expect(ch.length).toBe(capacity);
    expect(ch.queued).toBeLessThanOrEqual(capacity + 3); // + one parked value per blocked thread
    let maxQueued = 0;
    const nextIndex = [0, 0, 0];
    for (let n = 0; n < 3 * count; n++) {
      maxQueued = Math.max(maxQueued, ch.queued);
      const { p, i } = (await ch.recv()).value!;
      expect(i).toBe(nextIndex[p]);
      nextIndex[p]!++;
    }
    await finished;
    expect(maxQueued).toBeLessThanOrEqual(ch.slotCount);
    expect(maxQueued).toBeLessThanOrEqual(capacity + 3);
  });

  it('structured codec carries what postMessage carries; json codec plain JSON only', async () => {
    const ch = new CrossThreadChannel<unknown>({ capacity: 2 });
    const v = { m: new Map([[1, 'a']]), d: new Date(5), b: new Uint8Array([1, 2]), n: undefined };
    await ch.send(v);
    expect((await ch.recv()).value).toEqual(v);
    const js = new CrossThreadChannel<unknown>({ capacity: 2, codec: 'json' });
    await js.send({ a: [1, 'x', null] });
    expect((await js.recv()).value).toEqual({ a: [1, 'x', null] });
    expect(() => js.trySend(undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_ARGUMENT' }),
    );
    expect(() => new CrossThreadChannel({ codec: 'xml' as never })).toThrow(/options.codec/);
  });

  it('rejects values that cannot cross or do not fit, with coded errors', async () => {
    const ch = new CrossThreadChannel<unknown>({ capacity: 1, slotBytes: 64 });
    await expect(ch.send(() => 1)).rejects.toMatchObject({ code: 'ERR_CHANNEL_INVALID_ARGUMENT' });
    await expect(ch.send('x'.repeat(100))).rejects.toThrow(/options.slotBytes/);
    expect(() => ch.trySend(new Array(100).fill(1))).toThrow(/options.slotBytes/);
    expect(ch.length).toBe(0);
    expect(() => new CrossThreadChannel({ capacity: -1 })).toThrow(/options.capacity/);
    expect(() => CrossThreadChannel.from(new SharedArrayBuffer(16))).toThrow(
      expect.objectContaining({ code: 'ERR_CHANNEL_INVALID_OPTION' }),
    );
  });
});
