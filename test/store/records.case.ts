/**
 * The RecordStore conformance suite, run against every adapter (lmdb.test.ts,
 * mongo-dev.test.ts, mongo-explicit.test.ts). Each test gets a fresh, empty store.
 * Users and sessions live in records-accounts.case.ts, queue-specific tests in
 * records-queue.case.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeletionQueue, RecordStore, Video } from '../../src/store/index.js';
import { STORE_LIMITS } from '../../src/store/index.js';
import { describeAccounts } from './records-accounts.case.js';
import { describePaging } from './records-paging.case.js';
import { describeQueue } from './records-queue.case.js';
import { describeRateLimits } from './records-rate-limits.case.js';
import { describeVideoListings } from './videos.case.js';

export interface RecordStoreFactory {
  /** Opens a fresh, empty store; `cleanup` removes everything it created. */
  open(): Promise<{ store: RecordStore; queue: DeletionQueue; cleanup(): Promise<void> }>;
  /**
   * False where findAndModify is not atomic (FerretDB): the concurrent-claim test then asserts
   * only what holds there, and says so in its title.
   */
  atomicClaims: boolean;
}

export interface Ctx {
  store: RecordStore;
  queue: DeletionQueue;
}

/** A complete video record (every field explicit), public and not yet ready. */
export const video = (authorId: string, createdAt: number, over: Partial<Video> = {}): Video => ({
  id: randomUUID(),
  authorId,
  name: `v${createdAt}`,
  createdAt,
  state: 'active',
  description: '',
  visibility: 'public',
  ready: false,
  durationMs: null,
  width: null,
  height: null,
  codecs: [],
  posterId: null,
  ...over,
});

export function describeRecordStore(name: string, factory: RecordStoreFactory): void {
  describe(`RecordStore conformance: ${name}`, () => {
    const ctx = {} as Ctx;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      const opened = await factory.open();
      ctx.store = opened.store;
      ctx.queue = opened.queue;
      cleanup = opened.cleanup;
    });
    afterEach(async () => {
      await ctx.store.close();
      await cleanup();
    });

    describe('videos', () => {
      it('lists an author’s active videos newest first, as an array', async () => {
        const a = randomUUID();
        const b = randomUUID();
        expect(await ctx.store.listVideosByAuthor(a)).toEqual([]);
        const vs = [video(a, 30), video(a, 10, { name: 'ビデオ 📼' }), video(a, 20), video(b, 40)];
        for (const v of vs) await ctx.store.createVideo(v);
        const list = await ctx.store.listVideosByAuthor(a);
        expect(list.map((v) => v.createdAt)).toEqual([30, 20, 10]);
        expect(list[2]).toEqual(vs[1]);
        expect(await ctx.store.getVideo(vs[3]!.id)).toEqual(vs[3]);
      });

      it('hides a video marked deleting from lists but still gets it', async () => {
        const a = randomUUID();
        const [v1, v2] = [video(a, 1), video(a, 2)];
        await ctx.store.createVideo(v1);
        await ctx.store.createVideo(v2);
        expect(await ctx.store.markVideoDeleting(v2.id)).toBe(true);
        expect(await ctx.store.markVideoDeleting(randomUUID())).toBe(false);
        expect((await ctx.store.listVideosByAuthor(a)).map((v) => v.id)).toEqual([v1.id]);
        expect(await ctx.store.getVideo(v2.id)).toEqual({ ...v2, state: 'deleting' });
      });

      it('getVideoNow, where the store has it, answers exactly as getVideo, at once', async () => {
        const now = ctx.store.getVideoNow?.bind(ctx.store);
        if (now === undefined) return; // an optional capability (MongoDB has no local reads)
        const v = video(randomUUID(), 1);
        expect(now(v.id)).toBeUndefined();
        await ctx.store.createVideo(v);
        expect(now(v.id)).toEqual(await ctx.store.getVideo(v.id));
        // A record read again unchanged may be reused; any write is seen by the next read.
        expect(now(v.id)).toEqual(now(v.id));
        await ctx.store.updateVideo(v.id, { name: 'renamed' });
        expect(now(v.id)).toEqual(await ctx.store.getVideo(v.id));
        expect(now(v.id)?.name).toBe('renamed');
        await ctx.store.markVideoDeleting(v.id);
        expect(now(v.id)).toEqual({ ...v, name: 'renamed', state: 'deleting' });
        await ctx.store.deleteVideos([v.id]);
        expect(now(v.id)).toBeUndefined();
        expect(() => now('../x')).toThrow();
      });

      it('deleteVideos removes a video being deleted; again, nothing happens', async () => {
        const [v, other] = [video(randomUUID(), 1), video(randomUUID(), 2)];
        await ctx.store.createVideo(v);
        await ctx.store.createVideo({ ...other, authorId: v.authorId });
        expect(await ctx.store.markVideoDeleting(v.id)).toBe(true);
        await ctx.store.deleteVideos([v.id]);
        await ctx.store.deleteVideos([v.id]);
        expect(await ctx.store.getVideo(v.id)).toBeUndefined();
        expect(await ctx.store.markVideoDeleting(v.id)).toBe(false);
        expect((await ctx.store.listVideosByAuthor(v.authorId)).map((x) => x.id)).toEqual([
          other.id,
        ]);
      });

      it('rejects a bad state or author id', async () => {
        const v = video(randomUUID(), 1);
        await expect(ctx.store.createVideo({ ...v, state: 'gone' as never })).rejects.toMatchObject(
          {
            code: 'ERR_INVALID_ARGUMENT',
          },
        );
        await expect(ctx.store.listVideosByAuthor('nope')).rejects.toMatchObject({
          code: 'ERR_INVALID_ID',
        });
        expect(await ctx.store.getVideo(v.id)).toBeUndefined();
      });
    });

    describe('comments', () => {
      const comment = (videoId: string, createdAt: number, content = `c${createdAt}`) => ({
        id: randomUUID(),
        videoId,
        authorId: randomUUID(),
        authorName: 'José',
        content,
        createdAt,
      });

      it('lists a video’s comments newest first with unicode and large content', async () => {
        const vid = randomUUID();
        const big = '文'.repeat(Math.floor(STORE_LIMITS.contentBytes / 3)); // 3 bytes each
        const cs = [
          comment(vid, 2, '👍 nice\n"quoted" <b>'),
          comment(vid, 3, big),
          comment(vid, 1),
        ];
        for (const c of cs) await ctx.store.addComment(c);
        await ctx.store.addComment(comment(randomUUID(), 9));
        const list = await ctx.store.listComments(vid);
        expect(list.map((c) => c.createdAt)).toEqual([3, 2, 1]);
        expect(list[0]).toEqual(cs[1]);
        expect(list[1]).toEqual(cs[0]);
        expect(await ctx.store.listComments(randomUUID())).toEqual([]);
        await expect(ctx.store.addComment(comment(vid, 4, `${big}xx`))).rejects.toMatchObject({
          code: 'ERR_INVALID_ARGUMENT',
        });
      });

      it('deleteVideos removes every comment of a video, even one without a record', async () => {
        const [v1, v2] = [randomUUID(), randomUUID()];
        for (let i = 0; i < 5; i++) await ctx.store.addComment(comment(v1, i));
        await ctx.store.addComment(comment(v2, 1));
        await ctx.store.deleteVideos([v1]);
        await ctx.store.deleteVideos([v1]);
        expect(await ctx.store.listComments(v1)).toEqual([]);
        expect(await ctx.store.listComments(v2)).toHaveLength(1);
      });
    });

    describe('stale uploads', () => {
      it('lists active videos never made ready, created before the cutoff, up to the limit', async () => {
        const a = randomUUID();
        const mk = async (createdAt: number, over: Partial<Video>) => {
          const x = { ...video(a, createdAt), ...over };
          await ctx.store.createVideo(x);
          return x.id;
        };
        const old1 = await mk(100, { ready: false });
        const old2 = await mk(200, { ready: false });
        await mk(300, { ready: true }); // completed: never stale
        await mk(5000, { ready: false }); // after the cutoff
        const hidden = await mk(150, { ready: false });
        await ctx.store.markVideoDeleting(hidden); // already being deleted
        const all = await ctx.store.listStaleUploads(1000, 10);
        expect(all.map((x) => x.id).sort()).toEqual([old1, old2].sort());
        expect(await ctx.store.listStaleUploads(1000, 1)).toHaveLength(1);
        expect(await ctx.store.listStaleUploads(50, 10)).toEqual([]);
      });
    });

    describe('lifecycle', () => {
      it('close is idempotent and later calls reject with ERR_STORE_CLOSED', async () => {
        const extra = await factory.open();
        await Promise.all([extra.store.close(), extra.store.close()]);
        await extra.store.close();
        await expect(extra.store.getVideo(randomUUID())).rejects.toMatchObject({
          code: 'ERR_STORE_CLOSED',
        });
        await extra.cleanup();
      });
    });

    describeAccounts(ctx);
    describeQueue(ctx, factory.atomicClaims);
    describeVideoListings(ctx);
    describeRateLimits(ctx);
    describePaging(ctx);
  });
}
