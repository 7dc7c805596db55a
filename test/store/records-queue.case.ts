/**
 * Deletion-queue part of the RecordStore conformance suite: idempotent enqueue (with the
 * request id kept on the record), oldest-first
 * claims, leases and their expiry (time controlled through `now`), fencing, retries with
 * notBefore, dead-lettering, and exclusivity of concurrent claims.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STORE_LIMITS } from '../../src/store/index.js';
import type { Ctx } from './records.case.js';
import { describeQueueBatches } from './records-queue-batch.case.js';

export function describeQueue(ctx: Ctx, atomicClaims: boolean): void {
  describe('deletion queue', () => {
    /** Enqueues one record per time, in the given order; returns ids by time. */
    async function enqueue(times: number[]): Promise<Map<number, string>> {
      const ids = new Map<number, string>();
      for (const t of times) {
        const id = randomUUID();
        ids.set(t, id);
        expect(await ctx.queue.enqueueDeletion(id, t)).toBe(true);
      }
      return ids;
    }

    it('enqueues idempotently with a fresh record shape', async () => {
      const id = randomUUID();
      expect(await ctx.queue.enqueueDeletion(id, 100)).toBe(true);
      expect(await ctx.queue.enqueueDeletion(id, 200)).toBe(false);
      expect(await ctx.queue.getDeletion(id)).toEqual({
        videoId: id,
        enqueuedAt: 100,
        state: 'pending',
        attempts: 0,
        owner: undefined,
        leaseUntil: undefined,
        notBefore: 100,
        lastError: undefined,
      });
      expect(await ctx.queue.getDeletion(randomUUID())).toBeUndefined();
      expect(await ctx.queue.countDeletions()).toEqual({ pending: 1, dead: 0 });
    });

    it('keeps the request id of the enqueue through claim, renewal and a retry', async () => {
      const id = randomUUID();
      const plain = randomUUID();
      const reqId = 'req-1.a_b:C';
      expect(await ctx.queue.enqueueDeletion(id, 10, reqId)).toBe(true);
      expect(await ctx.queue.enqueueDeletion(id, 20, 'other')).toBe(false); // the first stays
      expect(await ctx.queue.enqueueDeletion(plain, 30)).toBe(true);
      expect((await ctx.queue.getDeletion(id))?.requestId).toBe(reqId);
      const claimed = await ctx.queue.claimDeletions('n1', 5, 1000, 100);
      expect(claimed.map((d) => [d.videoId, d.requestId])).toEqual([
        [id, reqId],
        [plain, undefined],
      ]);
      expect(await ctx.queue.renewDeletions('n1', [id], 1000, 200)).toEqual([id]);
      expect(await ctx.queue.failDeletion(id, 'n1', 'x', 300, 5)).toBe('retry');
      const again = await ctx.queue.claimDeletions('n2', 5, 1000, 2000);
      expect(again.find((d) => d.videoId === id)).toMatchObject({ requestId: reqId, attempts: 1 });
      for (const bad of ['', 'a b', 'x'.repeat(129), 'new\nline', 7]) {
        await expect(
          ctx.queue.enqueueDeletion(randomUUID(), 10, bad as string),
        ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      }
      expect(await ctx.queue.countDeletions()).toEqual({ pending: 2, dead: 0 });
    });

    it('claims up to the limit, oldest first, with a lease', async () => {
      const ids = await enqueue([50, 10, 40, 20, 30]);
      const first = await ctx.queue.claimDeletions('n1', 2, 1000, 100);
      expect(first.map((d) => d.videoId)).toEqual([ids.get(10), ids.get(20)]);
      expect(first[0]).toMatchObject({ owner: 'n1', leaseUntil: 1100, state: 'pending' });
      const next = await ctx.queue.claimDeletions('n2', 10, 1000, 100);
      expect(next.map((d) => d.videoId)).toEqual([ids.get(30), ids.get(40), ids.get(50)]);
      expect(await ctx.queue.claimDeletions('n3', 10, 1000, 100)).toEqual([]);
      expect(await ctx.queue.getDeletion(ids.get(10)!)).toMatchObject({
        owner: 'n1',
        leaseUntil: 1100,
      });
    });

    it('does not hand out records enqueued in the future (notBefore)', async () => {
      await enqueue([500]);
      expect(await ctx.queue.claimDeletions('n1', 5, 1000, 499)).toEqual([]);
      expect(await ctx.queue.claimDeletions('n1', 5, 1000, 500)).toHaveLength(1);
    });

    it('an expired lease is claimable again; the old owner is fenced out', async () => {
      const id = (await enqueue([1])).get(1)!;
      await ctx.queue.claimDeletions('old', 1, 100, 10); // lease until 110
      expect(await ctx.queue.claimDeletions('new', 1, 100, 109)).toEqual([]);
      const again = await ctx.queue.claimDeletions('new', 1, 100, 110);
      expect(again.map((d) => d.videoId)).toEqual([id]);
      expect(again[0]).toMatchObject({ owner: 'new', leaseUntil: 210 });
      expect(await ctx.queue.renewDeletions('old', [id], 100, 150)).toEqual([]);
      expect(await ctx.queue.failDeletion(id, 'old', 'x', 500, 3)).toBe('lost');
      expect(await ctx.queue.completeDeletions('old', [id])).toEqual([]);
      expect(await ctx.queue.getDeletion(id)).toMatchObject({
        owner: 'new',
        attempts: 0,
        leaseUntil: 210,
      });
      expect(await ctx.queue.completeDeletions('new', [id])).toEqual([id]);
      expect(await ctx.queue.getDeletion(id)).toBeUndefined();
      expect(await ctx.queue.completeDeletions('new', [id])).toEqual([]);
      // A completed video may be enqueued again (a later delete of a re-used id).
      expect(await ctx.queue.enqueueDeletion(id, 5)).toBe(true);
    });

    it('renew extends the lease for the owner only', async () => {
      const id = (await enqueue([1])).get(1)!;
      await ctx.queue.claimDeletions('me', 1, 100, 10); // until 110
      expect(await ctx.queue.renewDeletions('me', [id], 100, 100)).toEqual([id]); // until 200
      expect(await ctx.queue.renewDeletions('you', [id], 1000, 100)).toEqual([]);
      expect(await ctx.queue.claimDeletions('you', 1, 100, 150)).toEqual([]);
      expect(await ctx.queue.getDeletion(id)).toMatchObject({ owner: 'me', leaseUntil: 200 });
      expect(await ctx.queue.renewDeletions('me', [randomUUID()], 100, 100)).toEqual([]);
    });

    it('a non-owner cannot complete, renew or fail a record nobody claimed', async () => {
      const id = (await enqueue([1])).get(1)!;
      expect(await ctx.queue.completeDeletions('me', [id])).toEqual([]);
      expect(await ctx.queue.renewDeletions('me', [id], 10, 5)).toEqual([]);
      expect(await ctx.queue.failDeletion(id, 'me', 'x', 10, 3)).toBe('lost');
      expect(await ctx.queue.getDeletion(id)).toMatchObject({ state: 'pending', attempts: 0 });
    });

    it('fail retries after notBefore, then dead-letters after maxAttempts', async () => {
      const id = (await enqueue([1])).get(1)!;
      await ctx.queue.claimDeletions('w', 1, 100, 10);
      expect(await ctx.queue.failDeletion(id, 'w', 'disk on fire 🔥', 1000, 3)).toBe('retry');
      expect(await ctx.queue.getDeletion(id)).toMatchObject({
        state: 'pending',
        attempts: 1,
        notBefore: 1000,
        owner: undefined,
        leaseUntil: undefined,
        lastError: 'disk on fire 🔥',
      });
      expect(await ctx.queue.claimDeletions('w', 1, 100, 999)).toEqual([]);
      expect(await ctx.queue.claimDeletions('w', 1, 100, 1000)).toHaveLength(1);
      expect(await ctx.queue.failDeletion(id, 'w', 'again', 2000, 3)).toBe('retry');
      expect(await ctx.queue.claimDeletions('w', 1, 100, 2000)).toHaveLength(1);
      expect(await ctx.queue.failDeletion(id, 'w', 'last', 3000, 3)).toBe('dead');
      const dead = await ctx.queue.getDeletion(id);
      expect(dead).toMatchObject({
        state: 'dead',
        attempts: 3,
        lastError: 'last',
        owner: undefined,
      });
      expect(await ctx.queue.claimDeletions('w', 1, 100, 10_000)).toEqual([]);
      expect(await ctx.queue.completeDeletions('w', [id])).toEqual([]);
      expect(await ctx.queue.listDeadDeletions()).toEqual([dead]);
      expect(await ctx.queue.countDeletions()).toEqual({ pending: 0, dead: 1 });
      expect(await ctx.queue.enqueueDeletion(id, 1)).toBe(false); // still known: not re-queued
    });

    it('lists dead records oldest first and counts both states', async () => {
      const ids = await enqueue([30, 10, 20, 40]);
      // Claims the two oldest (10, 20), then kills them with maxAttempts 1, newer first.
      await ctx.queue.claimDeletions('w', 2, 100, 100);
      expect(await ctx.queue.failDeletion(ids.get(20)!, 'w', 'e', 0, 1)).toBe('dead');
      expect(await ctx.queue.failDeletion(ids.get(10)!, 'w', 'e', 0, 1)).toBe('dead');
      const dead = await ctx.queue.listDeadDeletions();
      expect(dead.map((d) => d.videoId)).toEqual([ids.get(10), ids.get(20)]);
      expect(await ctx.queue.countDeletions()).toEqual({ pending: 2, dead: 2 });
    });

    it('truncates a huge error message to a bounded, valid string', async () => {
      const id = (await enqueue([1])).get(1)!;
      await ctx.queue.claimDeletions('w', 1, 100, 10);
      await ctx.queue.failDeletion(id, 'w', '💥'.repeat(10_000), 20, 5);
      const err = (await ctx.queue.getDeletion(id))?.lastError ?? '';
      expect(Buffer.byteLength(err)).toBeLessThanOrEqual(STORE_LIMITS.errorBytes);
      expect(err.startsWith('💥💥')).toBe(true);
      expect(err.endsWith('...')).toBe(true);
      expect(err).not.toContain('\ufffd');
    });

    it('rejects bad claim arguments with ERR_INVALID_ARGUMENT', async () => {
      await expect(ctx.queue.claimDeletions('w', 0, 100, 1)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      await expect(ctx.queue.claimDeletions('', 1, 100, 1)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      await expect(ctx.queue.claimDeletions('w', 1, -5, 1)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      await expect(ctx.queue.enqueueDeletion('not-a-uuid', 1)).rejects.toMatchObject({
        code: 'ERR_INVALID_ID',
      });
    });

    const title = atomicClaims
      ? 'concurrent claims are exclusive: no record handed out twice'
      : 'concurrent claims are exclusive [not guaranteed on FerretDB: non-atomic findAndModify] — asserts every record handed out at least once and completes fenced';
    it(title, async () => {
      const N = 60;
      const all = new Set((await enqueue(Array.from({ length: N }, (_, i) => i + 1))).values());
      const claimers = Array.from({ length: 12 }, (_, i) => `claimer-${i}`);
      const got = new Map<string, string[]>(); // videoId → owners that got it
      await Promise.all(
        claimers.map(async (owner) => {
          for (;;) {
            const batch = await ctx.queue.claimDeletions(owner, 3, 60_000, 1000);
            if (batch.length === 0) return;
            for (const d of batch) got.set(d.videoId, [...(got.get(d.videoId) ?? []), owner]);
          }
        }),
      );
      expect(new Set(got.keys())).toEqual(all);
      if (atomicClaims) {
        for (const [id, owners] of got)
          expect({ id, owners: owners.length }).toEqual({ id, owners: 1 });
      }
      // Every claimant tries to complete: exactly one completion per record succeeds (fencing).
      let completed = 0;
      for (const [id, owners] of got) {
        const wins = await Promise.all(owners.map((o) => ctx.queue.completeDeletions(o, [id])));
        const n = wins.flat().length;
        expect({ id, n }).toEqual({ id, n: 1 });
        completed += n;
      }
      expect(completed).toBe(N);
      expect(await ctx.queue.countDeletions()).toEqual({ pending: 0, dead: 0 });
    });
  });
  describeQueueBatches(ctx);
}
