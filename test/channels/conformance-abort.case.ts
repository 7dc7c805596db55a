/**
 * Abort cases of the conformance suite: an AbortSignal given to send or recv withdraws a blocked
 * operation and nothing else — an already aborted one changes nothing, an aborted blocked send
 * takes its value back, an aborted receiver leaves the queue — and completed operations neither
 * keep a listener on the signal nor react to a later abort.
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type Ctx, expectAbort } from './conformance-helpers.js';

export function describeAbort(ctx: Ctx): void {
  const { settle } = ctx;
  describe('abort', () => {
    it('an already aborted signal rejects send/recv and changes nothing', async () => {
      const ch = await ctx.make<number>(1);
      const ac = new AbortController();
      const reason = new Error('stop');
      ac.abort(reason);
      await expectAbort(ch.send(1, ac.signal), reason);
      expect(ch.length).toBe(0);
      await ch.send(2);
      await expectAbort(ch.recv(ac.signal), reason);
      expect(ch.length).toBe(1);
      expect(ch.tryRecv()).toEqual({ value: 2, ok: true });
    });

    it('aborting a blocked send withdraws its value', async () => {
      const ch = await ctx.make<number>(0);
      const ac = new AbortController();
      const s = ch.send(1, ac.signal);
      await settle();
      ac.abort();
      await expectAbort(s);
      await settle();
      expect(ch.tryRecv()).toBeUndefined();
      expect(ch.length).toBe(0);
    });

    it('aborting a blocked recv removes the receiver; the next value goes elsewhere', async () => {
      const ch = await ctx.make<number>(0);
      const ac = new AbortController();
      const r1 = ch.recv(ac.signal);
      const r2 = ch.recv();
      await settle();
      ac.abort();
      await expectAbort(r1);
      await ch.send(5);
      expect(await r2).toEqual({ value: 5, ok: true });
      expect(ch.trySend(6)).toBe(false);
    });

    it('completed operations leave no abort listener on a long-lived signal', async () => {
      const ch = await ctx.make<number>(1);
      const ac = new AbortController();
      await ch.send(1, ac.signal); // ready
      const blockedSend = ch.send(2, ac.signal);
      await settle();
      expect(await ch.recv(ac.signal)).toEqual({ value: 1, ok: true });
      await blockedSend;
      expect(await ch.recv(ac.signal)).toEqual({ value: 2, ok: true });
      const blockedRecv = ch.recv(ac.signal);
      await settle();
      await ch.send(3);
      expect(await blockedRecv).toEqual({ value: 3, ok: true });
      await settle();
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    });

    it('a completed operation ignores a later abort', async () => {
      const ch = await ctx.make<number>(0);
      const ac = new AbortController();
      const r = ch.recv(ac.signal);
      await ch.send(1);
      ac.abort();
      expect(await r).toEqual({ value: 1, ok: true });
    });
  });
}
