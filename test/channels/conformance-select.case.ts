/** Select cases of the conformance suite (skipped with `opts.select: false`). */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { recv, select, send, trySelect } from '../../src/channels/index.js';
import { type Ctx, expectAbort, expectCode, track } from './conformance-helpers.js';

export function describeSelect(ctx: Ctx): void {
  const { settle } = ctx;
  describe('select', () => {
    it('exactly one ready case proceeds; the other keeps its value', async () => {
      const a = await ctx.make<string>(1);
      const b = await ctx.make<string>(1);
      await a.send('a');
      await b.send('b');
      const r = await select([recv(a), recv(b)]);
      expect(r.ok).toBe(true);
      expect(r.value).toBe(r.index === 0 ? 'a' : 'b');
      expect(a.length + b.length).toBe(1);
    });

    it('a blocked select proceeds with one case; the losers leave no trace', async () => {
      const a = await ctx.make<number>(0);
      const b = await ctx.make<number>(0);
      const c = await ctx.make<number>(0);
      const s = track(select([recv(a), recv(b), send(c, 9)]));
      await settle();
      expect(s.settled).toBe(false);
      await a.send(1);
      expect(await s.promise).toEqual({ index: 0, value: 1, ok: true });
      expect(b.trySend(3)).toBe(false);
      expect(c.tryRecv()).toBeUndefined();
    });

    it('chooses uniformly among ready cases (10,000 trials within 10σ of half)', async () => {
      const a = await ctx.make<number>(1);
      const b = await ctx.make<number>(1);
      a.trySend(0);
      b.trySend(1);
      const n = 10_000;
      let first = 0;
      for (let i = 0; i < n; i++) {
        const r = await select([recv(a), recv(b)]);
        if (r.index === 0) {
          first++;
          a.trySend(0);
        } else b.trySend(1);
      }
      const sigma = Math.sqrt(n * 0.25);
      expect(Math.abs(first - n / 2)).toBeLessThanOrEqual(10 * sigma);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThan(n);
    });

    it('takes default only when nothing is ready', async () => {
      const a = await ctx.make<number>(1);
      expect(await select([recv(a)], { default: true })).toEqual({
        index: -1,
        value: undefined,
        ok: false,
      });
      expect(trySelect([recv(a)])).toBeUndefined();
      a.trySend(4);
      expect(await select([recv(a)], { default: true })).toEqual({ index: 0, value: 4, ok: true });
      expect(trySelect([send(a, 5)])).toEqual({ index: 0, value: undefined, ok: true });
      expect(a.tryRecv()).toEqual({ value: 5, ok: true });
    });

    it('a null channel case is never ready', async () => {
      const a = await ctx.make<number>(1);
      const r = await select([recv(null), send(null, 1)], { default: true });
      expect(r.index).toBe(-1);
      const s = track(select([recv(null), send(null, 2), recv(a)]));
      await settle();
      expect(s.settled).toBe(false);
      await a.send(3);
      expect(await s.promise).toEqual({ index: 2, value: 3, ok: true });
    });

    it('the same channel in two receive cases: one wins, the other waiter is gone', async () => {
      const a = await ctx.make<number>(0);
      const s = select([recv(a), recv(a)]);
      await settle();
      expect(a.trySend(1)).toBe(true);
      const r = await s;
      expect([0, 1]).toContain(r.index);
      expect(r.value).toBe(1);
      expect(a.trySend(2)).toBe(false);
    });

    it('the same unbuffered channel as send and receive case pairs with another party', async () => {
      const a = await ctx.make<number>(0);
      const s = select([recv(a), send(a, 7)]);
      await settle();
      expect(await a.recv()).toEqual({ value: 7, ok: true });
      expect((await s).index).toBe(1);
      expect(a.trySend(1)).toBe(false);
      expect(a.tryRecv()).toBeUndefined();
    });

    it('a receive case on a closed channel is ready with ok=false', async () => {
      const a = await ctx.make<number>(0);
      const b = await ctx.make<number>(0);
      const s = select([recv(a), recv(b)]);
      await settle();
      b.close();
      expect(await s).toEqual({ index: 1, value: undefined, ok: false });
      expect(await select([recv(b)])).toEqual({ index: 0, value: undefined, ok: false });
    });

    it('a chosen send case on a closed channel rejects ERR_SEND_ON_CLOSED', async () => {
      const a = await ctx.make<number>(1);
      a.close();
      await expectCode(select([send(a, 1)]), 'ERR_SEND_ON_CLOSED');
      expect(() => trySelect([send(a, 1)])).toThrow(/closed/);
      const b = await ctx.make<number>(0);
      const c = await ctx.make<number>(0);
      const s = select([send(b, 1), recv(c)]);
      await settle();
      b.close();
      await expectCode(s, 'ERR_SEND_ON_CLOSED');
      expect(c.trySend(1)).toBe(false); // the receive waiter went with it
    });

    it('an aborted signal rejects and removes every waiter', async () => {
      const a = await ctx.make<number>(0);
      const b = await ctx.make<number>(0);
      const ac = new AbortController();
      const s = select([recv(a), send(b, 1), recv(a)], { signal: ac.signal });
      await settle();
      ac.abort('bye');
      await expectAbort(s, 'bye');
      expect(a.trySend(1)).toBe(false);
      expect(b.tryRecv()).toBeUndefined();
      await expectAbort(select([recv(a)], { signal: ac.signal }), 'bye');
      const buffered = await ctx.make<number>(1);
      buffered.trySend(1);
      await expectAbort(select([recv(buffered)], { signal: ac.signal }));
      expect(buffered.length).toBe(1);
    });

    it('a settled select leaves no abort listener on a long-lived signal', async () => {
      const a = await ctx.make<number>(0);
      const b = await ctx.make<number>(1);
      const ac = new AbortController();
      const s = select([recv(a), send(b, 1)], { signal: ac.signal }); // ready: b has room
      expect((await s).index).toBe(1);
      const blocked = select([recv(a), send(b, 2)], { signal: ac.signal });
      await settle();
      await a.send(5);
      expect(await blocked).toEqual({ index: 0, value: 5, ok: true });
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    });

    it('rejects a malformed case with ERR_CHANNEL_INVALID_ARGUMENT', async () => {
      await expectCode(select([{ kind: 3 } as never]), 'ERR_CHANNEL_INVALID_ARGUMENT');
      await expectCode(select('x' as never), 'ERR_CHANNEL_INVALID_ARGUMENT');
    });
  });
}
