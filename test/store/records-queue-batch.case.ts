/**
 * Deletion-queue conformance for the batch calls (heldDeletions, renewDeletions,
 * completeDeletions, releaseDeletions, failDeletions): one call over records in every state a
 * batch meets — held by the caller, held by another owner, the caller's lease expired and the record taken over, the caller's
 * lease expired but nobody took it, never claimed, dead, unknown — each fenced exactly as the
 * single call would be, and nothing outside the batch touched.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STORE_LIMITS } from '../../src/store/index.js';
import type { Ctx } from './records.case.js';

export function describeQueueBatches(ctx: Ctx): void {
  describe('deletion queue batches', () => {
    /**
     * Records in every state, as seen at t=2000: mine, mine2 (me, lease to 1100 — expired, but
     * nobody took them), lapsed (me, lease to 1001, the same), theirs (other), takenOver (me
     * until 110, then other until 1300), dead (me, dead-lettered), unclaimed (not claimable before
     * 5000), outside (pending, never in a batch call), unknown (never enqueued).
     */
    async function mixed() {
      const id = () => randomUUID();
      const r = {
        mine: id(),
        mine2: id(),
        theirs: id(),
        takenOver: id(),
        lapsed: id(),
        unclaimed: id(),
        dead: id(),
        unknown: id(),
        outside: id(),
      };
      const q = ctx.queue;
      await q.enqueueDeletion(r.takenOver, 1);
      await q.enqueueDeletion(r.lapsed, 2);
      await q.enqueueDeletion(r.dead, 3);
      expect((await q.claimDeletions('me', 3, 100, 10)).map((d) => d.videoId)).toEqual([
        r.takenOver,
        r.lapsed,
        r.dead,
      ]);
      expect(await q.failDeletion(r.dead, 'me', 'x', 0, 1)).toBe('dead');
      expect((await q.claimDeletions('other', 1, 300, 1000)).map((d) => d.videoId)).toEqual([
        r.takenOver,
      ]);
      await q.enqueueDeletion(r.mine, 20);
      await q.enqueueDeletion(r.mine2, 21);
      await q.enqueueDeletion(r.theirs, 22);
      await q.enqueueDeletion(r.unclaimed, 5000); // not yet claimable
      await q.enqueueDeletion(r.outside, 23);
      // lapsed's lease ran out at 110: 'me' claims it again with mine and mine2, then shortens
      // it to 1001 so that 'other' passes over it and takes theirs.
      const mine = await q.claimDeletions('me', 3, 100, 1000); // lapsed, mine, mine2
      expect(mine.map((d) => d.videoId)).toEqual([r.lapsed, r.mine, r.mine2]);
      expect(await q.renewDeletions('me', [r.lapsed], 1, 1000)).toEqual([r.lapsed]); // lapses at 1001
      expect((await q.claimDeletions('other', 1, 100, 1000)).map((d) => d.videoId)).toEqual([
        r.theirs,
      ]);
      return r;
    }

    it('renewDeletions extends only the leases the caller holds, in the order given', async () => {
      const r = await mixed();
      const all = Object.values(r);
      const held = await ctx.queue.renewDeletions('me', all, 500, 2000);
      // lapsed: expired at 1001 but nobody claimed it since: still the caller's.
      expect(held).toEqual([r.mine, r.mine2, r.lapsed]);
      for (const id of held) {
        expect(await ctx.queue.getDeletion(id)).toMatchObject({ owner: 'me', leaseUntil: 2500 });
      }
      expect(await ctx.queue.getDeletion(r.takenOver)).toMatchObject({
        owner: 'other',
        leaseUntil: 1300,
      });
      expect(await ctx.queue.getDeletion(r.theirs)).toMatchObject({ owner: 'other' });
      expect(await ctx.queue.getDeletion(r.outside)).toMatchObject({ owner: undefined });
    });

    it('heldDeletions reports the records the caller holds with their lease, writing nothing', async () => {
      const r = await mixed();
      const all = Object.values(r);
      const before = await Promise.all(all.map((id) => ctx.queue.getDeletion(id)));
      // The fence of renew/complete: lapsed (expired at 1001, nobody took it) is still held.
      expect(await ctx.queue.heldDeletions('me', all)).toEqual([
        { videoId: r.mine, leaseUntil: 1100 },
        { videoId: r.mine2, leaseUntil: 1100 },
        { videoId: r.lapsed, leaseUntil: 1001 },
      ]);
      expect(await ctx.queue.heldDeletions('other', [r.theirs, r.mine, r.takenOver])).toEqual([
        { videoId: r.theirs, leaseUntil: 1100 },
        { videoId: r.takenOver, leaseUntil: 1300 },
      ]);
      expect(await ctx.queue.heldDeletions('me', [])).toEqual([]);
      expect(await Promise.all(all.map((id) => ctx.queue.getDeletion(id)))).toEqual(before);
      await expect(ctx.queue.heldDeletions('me', [r.mine, 'x'])).rejects.toMatchObject({
        code: 'ERR_INVALID_ID',
      });
      await expect(ctx.queue.heldDeletions('', [r.mine])).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    });

    it('completeDeletions removes exactly the records the caller holds', async () => {
      const r = await mixed();
      const done = await ctx.queue.completeDeletions('me', Object.values(r));
      expect(done.sort()).toEqual([r.mine, r.mine2, r.lapsed].sort());
      for (const id of done) expect(await ctx.queue.getDeletion(id)).toBeUndefined();
      expect(await ctx.queue.getDeletion(r.takenOver)).toMatchObject({ owner: 'other' });
      expect(await ctx.queue.getDeletion(r.theirs)).toMatchObject({ owner: 'other' });
      expect(await ctx.queue.getDeletion(r.unclaimed)).toMatchObject({ state: 'pending' });
      expect(await ctx.queue.getDeletion(r.dead)).toMatchObject({ state: 'dead' });
      expect(await ctx.queue.getDeletion(r.outside)).toMatchObject({ state: 'pending' });
      // The stale owner's second try and the other owner's own completion.
      expect(await ctx.queue.completeDeletions('me', Object.values(r))).toEqual([]);
      expect(
        (await ctx.queue.completeDeletions('other', [r.takenOver, r.theirs, r.mine])).sort(),
      ).toEqual([r.takenOver, r.theirs].sort());
      expect(await ctx.queue.countDeletions()).toEqual({ pending: 2, dead: 1 });
    });

    it("releaseDeletions gives back only the caller's leases: claimable at once, attempts kept", async () => {
      const r = await mixed();
      expect(await ctx.queue.releaseDeletions('me', Object.values(r))).toBe(3);
      for (const id of [r.mine, r.mine2, r.lapsed]) {
        expect(await ctx.queue.getDeletion(id)).toMatchObject({
          state: 'pending',
          owner: undefined,
          leaseUntil: undefined,
          attempts: 0,
        });
      }
      expect(await ctx.queue.getDeletion(r.takenOver)).toMatchObject({
        owner: 'other',
        leaseUntil: 1300,
      });
      expect(await ctx.queue.getDeletion(r.theirs)).toMatchObject({ owner: 'other' });
      expect(await ctx.queue.getDeletion(r.dead)).toMatchObject({ state: 'dead' });
      // At 1050, before mine's lease (to 1100) would have ended: claimable by anyone, oldest
      // first; theirs (other's, to 1100) is not.
      const next = await ctx.queue.claimDeletions('next', 3, 100, 1050);
      expect(next.map((d) => d.videoId)).toEqual([r.lapsed, r.mine, r.mine2]);
      expect(await ctx.queue.releaseDeletions('me', [r.mine, r.theirs])).toBe(0);
      expect(await ctx.queue.getDeletion(r.mine)).toMatchObject({ owner: 'next' });
    });

    it('releaseDeletions counts an id given twice once, as the distinct records released', async () => {
      const r = await mixed();
      const batch = [r.mine, r.mine, r.theirs, r.mine2, r.theirs, r.mine2, r.unknown];
      expect(await ctx.queue.releaseDeletions('me', batch)).toBe(2);
      for (const id of [r.mine, r.mine2]) {
        expect(await ctx.queue.getDeletion(id)).toMatchObject({ owner: undefined, attempts: 0 });
      }
      expect(await ctx.queue.getDeletion(r.theirs)).toMatchObject({ owner: 'other' });
      expect(await ctx.queue.getDeletion(r.lapsed)).toMatchObject({ owner: 'me' });
    });

    it('failDeletions records each attempt fenced, outcomes in order', async () => {
      const r = await mixed();
      const at = (videoId: string, retryAt = 3000) => ({ videoId, error: `e ${videoId}`, retryAt });
      const fates = await ctx.queue.failDeletions(
        'me',
        [at(r.mine), at(r.takenOver), at(r.theirs), at(r.mine2), at(r.mine), at(r.unknown)],
        3,
      );
      // r.mine twice: the first records the attempt and releases it; the second is lost.
      expect(fates).toEqual(['retry', 'lost', 'lost', 'retry', 'lost', 'lost']);
      expect(await ctx.queue.getDeletion(r.mine)).toMatchObject({
        state: 'pending',
        attempts: 1,
        notBefore: 3000,
        owner: undefined,
        lastError: `e ${r.mine}`,
      });
      expect(await ctx.queue.getDeletion(r.takenOver)).toMatchObject({
        owner: 'other',
        attempts: 0,
      });
      // The last allowed attempt dead-letters.
      expect(await ctx.queue.failDeletions('me', [at(r.lapsed)], 1)).toEqual(['dead']);
      expect(await ctx.queue.countDeletions()).toEqual({ pending: 6, dead: 2 });
    });

    it('an empty batch writes nothing; bad batches are refused before any write', async () => {
      expect(await ctx.queue.renewDeletions('me', [], 100, 1)).toEqual([]);
      expect(await ctx.queue.completeDeletions('me', [])).toEqual([]);
      expect(await ctx.queue.releaseDeletions('me', [])).toBe(0);
      expect(await ctx.queue.failDeletions('me', [], 3)).toEqual([]);
      const id = randomUUID();
      await ctx.queue.enqueueDeletion(id, 1);
      await ctx.queue.claimDeletions('me', 1, 100, 10);
      await expect(ctx.queue.completeDeletions('me', [id, 'not-a-uuid'])).rejects.toMatchObject({
        code: 'ERR_INVALID_ID',
      });
      const tooMany = Array.from({ length: STORE_LIMITS.batchIds + 1 }, () => id);
      await expect(ctx.queue.completeDeletions('me', tooMany)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      await expect(ctx.queue.renewDeletions('', [id], 100, 1)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      await expect(ctx.queue.releaseDeletions('me', ['not-a-uuid'])).rejects.toMatchObject({
        code: 'ERR_INVALID_ID',
      });
      await expect(
        ctx.queue.failDeletions('me', [{ videoId: id, error: 'x', retryAt: -1 }], 3),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      expect(await ctx.queue.getDeletion(id)).toMatchObject({ owner: 'me', attempts: 0 });
    });
  });
}
