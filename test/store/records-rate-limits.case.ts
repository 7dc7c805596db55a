/**
 * Rate-limit part of the RecordStore conformance suite: `rateLimiter()` gives a
 * rate-limiter-flexible limiter whose counters live in the store (shared by every limiter made
 * with the same prefix, on any thread or node), separate per prefix and per key.
 */
import { RateLimiterRes } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import type { Ctx } from './records.case.js';

export function describeRateLimits(ctx: Ctx): void {
  describe('rate limiters', () => {
    it('allows `points` per window, then rejects with the time left', async () => {
      const rl = ctx.store.rateLimiter({ keyPrefix: 'rl-a', points: 3, durationSec: 60 });
      for (let i = 1; i <= 3; i++) {
        const res = await rl.consume('k');
        expect(res.consumedPoints).toBe(i);
        expect(res.remainingPoints).toBe(3 - i);
      }
      const over = await rl.consume('k').catch((e: unknown) => e);
      expect(over).toBeInstanceOf(RateLimiterRes);
      expect((over as RateLimiterRes).msBeforeNext).toBeGreaterThan(0);
      expect((over as RateLimiterRes).msBeforeNext).toBeLessThanOrEqual(60_000);
      // Another key of the same limiter has its own budget.
      expect((await rl.consume('other')).consumedPoints).toBe(1);
    });

    it('shares counters between limiters of one prefix, not across prefixes', async () => {
      const a = ctx.store.rateLimiter({ keyPrefix: 'rl-b', points: 2, durationSec: 60 });
      const b = ctx.store.rateLimiter({ keyPrefix: 'rl-b', points: 2, durationSec: 60 });
      const c = ctx.store.rateLimiter({ keyPrefix: 'rl-c', points: 2, durationSec: 60 });
      await a.consume('k');
      await b.consume('k');
      await expect(a.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
      expect((await c.consume('k')).consumedPoints).toBe(1);
      // delete() clears the stored counter for every limiter of the prefix; the memory block of
      // another instance (`a` saw the key over budget) lasts until its window ends.
      await b.delete('k');
      expect(await a.get('k')).toBeNull();
      expect((await b.consume('k')).consumedPoints).toBe(1);
      expect((await a.get('k'))?.consumedPoints).toBe(1);
      await expect(a.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
      expect((await a.get('k'))?.consumedPoints).toBe(1);
      expect(await a.get('never')).toBeNull();
    });

    it('refuses a spent key from memory: the stored counter stays until delete', async () => {
      const rl = ctx.store.rateLimiter({ keyPrefix: 'rl-m', points: 2, durationSec: 60 });
      const reader = ctx.store.rateLimiter({ keyPrefix: 'rl-m', points: 2, durationSec: 60 });
      await rl.consume('k');
      await rl.consume('k');
      for (let i = 0; i < 5; i++) {
        const over = await rl.consume('k').catch((e: unknown) => e);
        expect(over).toBeInstanceOf(RateLimiterRes);
        expect((over as RateLimiterRes).msBeforeNext).toBeGreaterThan(0);
      }
      expect((await reader.get('k'))?.consumedPoints).toBe(2);
      // Another limiter instance has no memory block: it writes once and refuses.
      await expect(reader.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
      expect((await reader.get('k'))?.consumedPoints).toBe(3);
      // delete() lifts the instance's own block along with the counter.
      await rl.delete('k');
      expect((await rl.consume('k')).consumedPoints).toBe(1);
    });

    it('starts a new window once the old one has passed', async () => {
      const rl = ctx.store.rateLimiter({ keyPrefix: 'rl-d', points: 1, durationSec: 1 });
      await rl.consume('k');
      const over = (await rl.consume('k').catch((e: unknown) => e)) as RateLimiterRes;
      expect(over).toBeInstanceOf(RateLimiterRes);
      // Wait on the clock for the window's own end, as the limiter reported it.
      const until = Date.now() + over.msBeforeNext + 5;
      while (Date.now() <= until) await new Promise((r) => setTimeout(r, until - Date.now() + 1));
      expect((await rl.consume('k')).consumedPoints).toBe(1);
    });

    it('refuses a bad spec naming the field', () => {
      expect(() =>
        ctx.store.rateLimiter({ keyPrefix: 'Bad Prefix', points: 1, durationSec: 1 }),
      ).toThrow(
        expect.objectContaining({
          code: 'ERR_INVALID_ARGUMENT',
          message: expect.stringMatching(/keyPrefix/),
        }),
      );
      expect(() => ctx.store.rateLimiter({ keyPrefix: 'ok', points: 0, durationSec: 1 })).toThrow(
        /points/,
      );
    });
  });
}
