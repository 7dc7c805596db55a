/**
 * The channel conformance suite: Go's channel semantics, written once, run against every
 * channel kind. A test file calls it with a factory:
 *
 *   describeChannelConformance('Channel', (capacity) => new Channel(capacity));
 *
 * Values are numbers so that every kind passes, including cross-thread codecs that carry only
 * numbers (a kind carrying other values runs the suite through a view that maps numbers to them).
 * `opts.select: false` skips the select cases for kinds select cannot wait on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { describeAbort } from './conformance-abort.case.js';
import {
  type ConformanceOptions,
  context,
  expectCode,
  type MakeChannel,
  track,
} from './conformance-helpers.js';
import { describeProperty } from './conformance-property.case.js';
import { describeSelect } from './conformance-select.case.js';

export type { ConformanceOptions, MakeChannel } from './conformance-helpers.js';

export function describeChannelConformance(
  name: string,
  make: MakeChannel,
  opts: ConformanceOptions = {},
): void {
  describe(`${name} conformance`, () => {
    const ctx = context(make, opts);
    afterEach(() => ctx.cleanup());
    const { settle } = ctx;

    describe('unbuffered', () => {
      it('send does not resolve until a receiver has the value; length stays 0', async () => {
        const ch = await ctx.make<number>(0);
        expect(ch.capacity).toBe(0);
        const s = track(ch.send(0.5));
        await settle();
        expect(s.settled).toBe(false);
        expect(ch.length).toBe(0);
        expect(ch.trySend(-2)).toBe(false);
        expect(await ch.recv()).toEqual({ value: 0.5, ok: true });
        await s.promise;
        expect(ch.length).toBe(0);
      });

      it('recv waits for a sender, and tryRecv takes from a blocked sender', async () => {
        const ch = await ctx.make<number>(0);
        expect(ch.tryRecv()).toBeUndefined();
        const r = track(ch.recv());
        await settle();
        expect(r.settled).toBe(false);
        expect(ch.trySend(7)).toBe(true);
        expect(await r.promise).toEqual({ value: 7, ok: true });
        const s = track(ch.send(8));
        await settle();
        expect(ch.tryRecv()).toEqual({ value: 8, ok: true });
        await s.promise;
      });

      it('serves blocked senders first come, first served', async () => {
        const ch = await ctx.make<number>(0);
        const sends = [1, 2, 3].map((v) => ch.send(v));
        await settle();
        for (const v of [1, 2, 3]) expect(await ch.recv()).toEqual({ value: v, ok: true });
        await Promise.all(sends);
      });
    });

    describe('buffered', () => {
      it('is FIFO, fills to capacity, then trySend reports it would block', async () => {
        const ch = await ctx.make<number>(3);
        expect(ch.capacity).toBe(3);
        for (const v of [1, 2, 3]) expect(ch.trySend(v)).toBe(true);
        expect(ch.trySend(4)).toBe(false);
        expect(ch.length).toBe(3);
        for (const v of [1, 2, 3]) expect(ch.tryRecv()).toEqual({ value: v, ok: true });
        expect(ch.tryRecv()).toBeUndefined();
        expect(ch.length).toBe(0);
      });

      it('stays FIFO across many wrap-arounds of the ring buffer', async () => {
        const ch = await ctx.make<number>(5);
        let next = 0;
        let expected = 0;
        for (let round = 0; round < 200; round++) {
          const n = 1 + ((round * 7) % 5);
          for (let i = 0; i < n && ch.trySend(next); i++) next++;
          const m = 1 + ((round * 3) % 5);
          for (let i = 0; i < m; i++) {
            const r = ch.tryRecv();
            if (r === undefined) break;
            expect(r).toEqual({ value: expected++, ok: true });
          }
        }
      });

      it('a large buffer stays FIFO while it grows with its head wrapped', async () => {
        const ch = await ctx.make<number>(150);
        let next = 0;
        let expected = 0;
        for (let i = 0; i < 10; i++) expect(ch.trySend(next++)).toBe(true);
        for (let i = 0; i < 5; i++) expect(ch.tryRecv()?.value).toBe(expected++);
        while (ch.trySend(next)) next++;
        expect(ch.length).toBe(150);
        while (ch.length > 0) expect(ch.tryRecv()?.value).toBe(expected++);
        expect(expected).toBe(next);
      });

      it("blocked senders' values follow the buffered ones in arrival order", async () => {
        const ch = await ctx.make<number>(2);
        await ch.send(1);
        await ch.send(2);
        const s3 = track(ch.send(3));
        const s4 = track(ch.send(4));
        await settle();
        expect(s3.settled).toBe(false);
        expect(ch.length).toBe(2);
        expect(await ch.recv()).toEqual({ value: 1, ok: true });
        await s3.promise; // 3 moved into the freed slot
        await settle();
        expect(s4.settled).toBe(false);
        expect(ch.length).toBe(2);
        const got = [];
        for (let i = 0; i < 3; i++) got.push((await ch.recv()).value);
        expect(got).toEqual([2, 3, 4]);
        await s4.promise;
      });

      it('serves waiting receivers first come, first served', async () => {
        const ch = await ctx.make<number>(4);
        const rs = [ch.recv(), ch.recv(), ch.recv()];
        await settle();
        for (const v of [30, 10, 20]) await ch.send(v);
        expect((await Promise.all(rs)).map((r) => r.value)).toEqual([30, 10, 20]);
        expect(ch.length).toBe(0);
      });
    });

    describe('close', () => {
      it('closing twice throws ERR_CLOSE_OF_CLOSED', async () => {
        const ch = await ctx.make<number>(1);
        ch.close();
        await expectCode(() => ch.close(), 'ERR_CLOSE_OF_CLOSED');
      });

      it('send on a closed channel rejects (trySend throws) ERR_SEND_ON_CLOSED', async () => {
        const ch = await ctx.make<number>(1);
        ch.close();
        await expectCode(ch.send(1), 'ERR_SEND_ON_CLOSED');
        await expectCode(() => ch.trySend(1), 'ERR_SEND_ON_CLOSED');
        expect(ch.length).toBe(0);
      });

      it('a sender blocked when the close happens is rejected; buffered values stay', async () => {
        const ch = await ctx.make<number>(1);
        await ch.send(1);
        const blocked = ch.send(2);
        const unbuf = await ctx.make<number>(0);
        const blocked0 = unbuf.send(3);
        await settle();
        ch.close();
        unbuf.close();
        await expectCode(blocked, 'ERR_SEND_ON_CLOSED');
        await expectCode(blocked0, 'ERR_SEND_ON_CLOSED');
        expect(await ch.recv()).toEqual({ value: 1, ok: true });
        expect(await ch.recv()).toEqual({ value: undefined, ok: false });
        expect(await unbuf.recv()).toEqual({ value: undefined, ok: false });
      });

      it('receivers drain the buffer, then get ok=false forever', async () => {
        const ch = await ctx.make<number>(3);
        await ch.send(1);
        await ch.send(2);
        ch.close();
        expect(ch.length).toBe(2);
        expect(await ch.recv()).toEqual({ value: 1, ok: true });
        expect(ch.tryRecv()).toEqual({ value: 2, ok: true });
        for (let i = 0; i < 3; i++) {
          expect(await ch.recv()).toEqual({ value: undefined, ok: false });
          expect(ch.tryRecv()).toEqual({ value: undefined, ok: false });
        }
      });

      it('wakes every blocked receiver with ok=false', async () => {
        for (const cap of [0, 2]) {
          const ch = await ctx.make<number>(cap);
          const rs = [ch.recv(), ch.recv(), ch.recv()];
          await settle();
          ch.close();
          for (const r of await Promise.all(rs)) expect(r).toEqual({ value: undefined, ok: false });
        }
      });
    });

    describe('for await', () => {
      it('yields every value, including later sends, until closed and drained', async () => {
        const ch = await ctx.make<number>(2);
        await ch.send(1);
        const got: number[] = [];
        const loop = (async () => {
          for await (const v of ch) got.push(v);
        })();
        for (const v of [2, 3, 4]) await ch.send(v);
        ch.close();
        await loop;
        expect(got).toEqual([1, 2, 3, 4]);
      });

      it('breaking out leaves the channel usable', async () => {
        const ch = await ctx.make<number>(3);
        for (const v of [1, 2, 3]) await ch.send(v);
        for await (const v of ch) if (v === 1) break;
        expect(ch.tryRecv()).toEqual({ value: 2, ok: true });
      });
    });

    describeAbort(ctx);
    if (opts.select !== false) describeSelect(ctx);
    describeProperty(ctx);
  });
}
