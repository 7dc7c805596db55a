import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CrossThreadChannel } from '../../src/channels/index.js';
import { workerFile } from '../../src/worker-file.js';

// The records operations of the 'bytes' codec beyond the conformance suite (which runs them
// with batches of one in cross-thread.test.ts): packing, lengths, wrap-around, errors, threads.
const peer = workerFile(import.meta.url, '../fixtures/actors/channel-peer.worker');
const started: Worker[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.terminate()));
});

const bytesChannel = (capacity: number, slotBytes: number) =>
  new CrossThreadChannel<Uint8Array>({ capacity, codec: 'bytes', slotBytes });

/** A deterministic pseudo-random sequence (tests must not depend on Math.random). */
function lcg(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

describe('CrossThreadChannel records (bytes codec)', () => {
  it('fixed-size records go in packed and come out packed, in order, across wrap-around', () => {
    const ch = bytesChannel(5, 16); // 32 slots: the ring wraps every 32 records
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 40; round++) {
      const src = new Uint8Array(7 * 16);
      for (let k = 0; k < 7; k++) src.fill((next + k) & 0xff, k * 16, (k + 1) * 16);
      const sent = ch.trySendRecords(src, 16);
      expect(sent).toBe(5); // capacity: the rest would block
      next += sent;
      const dst = new Uint8Array(3 * 16);
      let got = 0;
      for (let n = ch.tryRecvRecords(dst); n !== undefined; n = ch.tryRecvRecords(dst)) {
        for (let k = 0; k < n * 16; k++) expect(dst[k]).toBe((expected + (k >> 4)) & 0xff);
        expected += n;
        got += n;
      }
      expect(got).toBe(5);
    }
    expect(expected).toBe(next);
  });

  it('variable-length records (sendMany) arrive with their lengths; dst and lengths bound a batch', () => {
    const ch = bytesChannel(64, 24);
    const rand = lcg(7);
    const model: Uint8Array[] = [];
    for (let round = 0; round < 200; round++) {
      const batch = Array.from({ length: 1 + rand(9) }, () => {
        const r = new Uint8Array(rand(25)); // 0..24 bytes: empty and full slots included
        for (let k = 0; k < r.length; k++) r[k] = rand(256);
        return r;
      });
      model.push(...batch.slice(0, ch.trySendMany(batch)));
      const dst = new Uint8Array(24 + rand(60));
      const lengths = new Uint32Array(1 + rand(6));
      const n = ch.tryRecvRecords(dst, lengths) ?? 0;
      expect(n).toBeLessThanOrEqual(lengths.length);
      let pos = 0;
      for (let i = 0; i < n; i++) {
        const want = model.shift()!;
        expect(lengths[i]).toBe(want.length);
        expect([...dst.subarray(pos, pos + want.length)]).toEqual([...want]);
        pos += want.length;
      }
      // It stopped because lengths was full, or the next record did not fit, or none was left.
      if (n < lengths.length && model.length > 0) {
        expect(pos + model[0]!.length).toBeGreaterThan(dst.length);
      }
    }
  });

  it('refuses bad arguments with coded errors naming what is wrong', () => {
    const ch = bytesChannel(4, 16);
    const coded = (code: string, msg: RegExp) =>
      expect.objectContaining({ code, message: expect.stringMatching(msg) });
    expect(() => ch.trySendRecords(new Uint8Array(34), 17)).toThrow(
      coded('ERR_CHANNEL_INVALID_ARGUMENT', /recordBytes.*slotBytes/),
    );
    expect(() => ch.trySendRecords(new Uint8Array(10), 4)).toThrow(/multiple of recordBytes/);
    expect(() => ch.tryRecvRecords(new Uint8Array(15))).toThrow(/options.slotBytes \(16\)/);
    expect(() => ch.tryRecvRecords(new Uint8Array(16), new Uint32Array(0))).toThrow(/lengths/);
    const f64 = new CrossThreadChannel<number>({ capacity: 4, codec: 'f64' });
    expect(() => f64.trySendRecords(new Uint8Array(8), 8)).toThrow(
      coded('ERR_UNSUPPORTED_CHANNEL', /bytes/),
    );
    expect(ch.length).toBe(0);
  });

  it('sendRecords waits for room (backpressure), then close drains and rejects', async () => {
    const ch = bytesChannel(2, 8);
    const src = new Uint8Array(5 * 8).map((_, i) => i >> 3);
    let done = false;
    const all = ch.sendRecords(src, 8).then(() => (done = true));
    const dst = new Uint8Array(64);
    const got: number[] = [];
    while (got.length < 5) {
      expect(ch.queued).toBeLessThanOrEqual(ch.slotCount);
      const n = ch.tryRecvRecords(dst) ?? (await ch.recvRecords(dst));
      for (let i = 0; i < n; i++) got.push(dst[i * 8]!);
    }
    await all;
    expect(done).toBe(true);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    await ch.sendRecords(new Uint8Array(8).fill(9), 8);
    expect(await ch.recvRecords(dst)).toBe(1); // ready: taken at once
    const blocked = ch.recvRecords(dst);
    ch.close();
    expect(await blocked).toBe(0);
    expect(ch.tryRecvRecords(dst)).toBe(0);
    await expect(ch.sendRecords(new Uint8Array(8), 8)).rejects.toMatchObject({
      code: 'ERR_SEND_ON_CLOSED',
    });
  });

  it('an aborted sendRecords leaves the records before it sent and no other', async () => {
    const ch = bytesChannel(1, 8);
    const ac = new AbortController();
    const p = ch.sendRecords(new Uint8Array([1, 1, 1, 1, 2, 2, 2, 2]), 4, ac.signal);
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    const dst = new Uint8Array(16);
    expect(ch.tryRecvRecords(dst)).toBe(1);
    expect([...dst.subarray(0, 4)]).toEqual([1, 1, 1, 1]);
    expect(ch.tryRecvRecords(dst)).toBeUndefined();
  });

  it('a producer thread streams records: every record once, in order, intact, then close', async () => {
    const ch = bytesChannel(64, 16);
    const count = 20_000;
    const w = new Worker(peer.url, {
      execArgv: peer.execArgv,
      workerData: { mode: 'produce-records', shared: ch.shared, count },
    });
    started.push(w);
    const reported = once(w, 'message');
    const dst = new Uint8Array(256 * 16);
    const view = new DataView(dst.buffer);
    let expected = 0;
    for (;;) {
      const n = ch.tryRecvRecords(dst) ?? (await ch.recvRecords(dst));
      if (n === 0) break;
      for (let k = 0; k < n; k++, expected++) {
        expect(view.getUint32(k * 16, true)).toBe(expected);
        expect(dst[k * 16 + 15]).toBe((expected + 15) & 0xff);
      }
    }
    expect(expected).toBe(count);
    expect((await reported)[0]).toEqual({ produced: count });
  });
});
