/**
 * Video details, visibility and the public listings of the RecordStore conformance suite:
 * defaults for the seed's record shape, updates, which videos are listed (active, public, ready),
 * cursor paging without repeats or gaps, a user's public videos, word search over title and
 * description, and deleteVideos (the deletion task's record step) leaving no listing behind.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NewVideo, Page, Video } from '../../src/store/index.js';
import { type Ctx, video } from './records.case.js';

/** A video that is listed (public, ready) unless `over` says otherwise. */
const listed = (authorId: string, createdAt: number, over: Partial<Video> = {}): NewVideo =>
  video(authorId, createdAt, { name: `video ${createdAt}`, ready: true, ...over });

const ids = (p: Page<Video>) => p.items.map((v) => v.id);

export function describeVideoListings(ctx: Ctx): void {
  describe('video details and public listings', () => {
    it('fills the new fields of a seed-shaped record with their defaults', async () => {
      const v = { id: randomUUID(), authorId: randomUUID(), name: 'n', createdAt: 5 };
      await ctx.store.createVideo({ ...v, state: 'active' });
      expect(await ctx.store.getVideo(v.id)).toEqual({
        ...v,
        state: 'active',
        description: '',
        visibility: 'public',
        ready: false,
        durationMs: null,
        width: null,
        height: null,
        codecs: [],
        posterId: null,
      });
    });

    it('updates details and media of an active video only, and validates them', async () => {
      const v = listed(randomUUID(), 1, { ready: false });
      await ctx.store.createVideo(v);
      const poster = randomUUID();
      const media = {
        durationMs: 4003,
        width: 320,
        height: 180,
        codecs: ['vp8'],
        posterId: poster,
      };
      const up = await ctx.store.updateVideo(v.id, { ready: true, ...media });
      expect(up).toMatchObject({ ...media, ready: true, name: v.name });
      const up2 = await ctx.store.updateVideo(v.id, { description: 'Ünïcode\nline 2', name: 'x' });
      expect(up2).toMatchObject({ ...media, description: 'Ünïcode\nline 2', name: 'x' });
      expect(await ctx.store.getVideo(v.id)).toEqual(up2);
      expect(await ctx.store.updateVideo(randomUUID(), { name: 'y' })).toBeUndefined();
      await expect(
        ctx.store.updateVideo(v.id, { visibility: 'secret' as never }),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(
        ctx.store.updateVideo(v.id, { description: 'd'.repeat(5001) }),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await ctx.store.markVideoDeleting(v.id);
      expect(await ctx.store.updateVideo(v.id, { name: 'z' })).toBeUndefined();
    });

    it('lists only active, public, ready videos, newest first, across pages', async () => {
      const a = randomUUID();
      const shown = [];
      for (let t = 1; t <= 7; t++) {
        const v = listed(a, t * 10);
        shown.push(v);
        await ctx.store.createVideo(v);
      }
      // Same time as a listed one: ties are ordered by id, never lost at a page edge.
      const tie = listed(a, 40);
      shown.push(tie);
      await ctx.store.createVideo(tie);
      const hidden = [
        listed(a, 100, { visibility: 'unlisted' }),
        listed(a, 101, { visibility: 'private' }),
        listed(a, 102, { ready: false }),
        listed(a, 103, { state: 'deleting' }),
      ];
      for (const v of hidden) await ctx.store.createVideo(v);
      const gone = listed(a, 104);
      await ctx.store.createVideo(gone);
      await ctx.store.markVideoDeleting(gone.id);
      const alsoGone = listed(a, 105);
      await ctx.store.createVideo(alsoGone);
      await ctx.store.deleteVideos([alsoGone.id]);

      const expected = shown
        .sort((x, y) => y.createdAt - x.createdAt || (x.id < y.id ? 1 : -1))
        .map((v) => v.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const p = await ctx.store.listPublicVideos({ cursor, limit: 3 });
        seen.push(...ids(p));
        cursor = p.next;
        pages++;
      } while (cursor !== undefined);
      expect(seen).toEqual(expected);
      expect(pages).toBe(3);
      const all = await ctx.store.listPublicVideos({ limit: 100 });
      expect(ids(all)).toEqual(expected);
      expect(all.next).toBeUndefined();
      expect(await ctx.store.listPublicVideosByAuthor(randomUUID(), { limit: 5 })).toEqual({
        items: [],
        next: undefined,
      });
    });

    it('moves a video in and out of the listings as it is edited', async () => {
      const a = randomUUID();
      const v = listed(a, 1, { ready: false, name: 'Sunset timelapse' });
      await ctx.store.createVideo(v);
      expect(ids(await ctx.store.listPublicVideos({ limit: 10 }))).toEqual([]);
      await ctx.store.updateVideo(v.id, { ready: true });
      expect(ids(await ctx.store.listPublicVideos({ limit: 10 }))).toEqual([v.id]);
      expect(ids(await ctx.store.searchVideos('sunset', { limit: 10 }))).toEqual([v.id]);
      await ctx.store.updateVideo(v.id, { visibility: 'private' });
      expect(ids(await ctx.store.listPublicVideos({ limit: 10 }))).toEqual([]);
      expect(ids(await ctx.store.listPublicVideosByAuthor(a, { limit: 10 }))).toEqual([]);
      expect(ids(await ctx.store.searchVideos('sunset', { limit: 10 }))).toEqual([]);
      await ctx.store.updateVideo(v.id, { visibility: 'public', name: 'Sunrise' });
      expect(ids(await ctx.store.searchVideos('sunset', { limit: 10 }))).toEqual([]);
      expect(ids(await ctx.store.searchVideos('SUNRISE', { limit: 10 }))).toEqual([v.id]);
      const listedOne = (await ctx.store.listPublicVideos({ limit: 10 })).items[0];
      expect(listedOne).toEqual(await ctx.store.getVideo(v.id));
      await ctx.store.markVideoDeleting(v.id);
      expect(ids(await ctx.store.listPublicVideosByAuthor(a, { limit: 10 }))).toEqual([]);
      expect(ids(await ctx.store.searchVideos('sunrise', { limit: 10 }))).toEqual([]);
    });

    it("lists one user's public videos, paged", async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      const mine = [listed(a, 3), listed(a, 2), listed(a, 1)];
      for (const v of [...mine, listed(b, 5), listed(a, 9, { visibility: 'unlisted' })]) {
        await ctx.store.createVideo(v);
      }
      const p1 = await ctx.store.listPublicVideosByAuthor(a, { limit: 2 });
      expect(ids(p1)).toEqual([mine[0]!.id, mine[1]!.id]);
      const p2 = await ctx.store.listPublicVideosByAuthor(a, { cursor: p1.next, limit: 2 });
      expect(ids(p2)).toEqual([mine[2]!.id]);
      expect(p2.next).toBeUndefined();
    });

    it('searches every word in title + description, case and accent blind, paged', async () => {
      const a = randomUUID();
      const cat = listed(a, 1, { name: 'My cat', description: 'Playing in the Café garden' });
      const dog = listed(a, 2, { name: 'Dog and cat', description: 'garden party' });
      const hid = listed(a, 3, { name: 'cat garden', visibility: 'unlisted' });
      for (const v of [cat, dog, hid]) await ctx.store.createVideo(v);
      expect(ids(await ctx.store.searchVideos('cat', { limit: 10 }))).toEqual([dog.id, cat.id]);
      expect(ids(await ctx.store.searchVideos('garden CAT', { limit: 10 }))).toEqual([
        dog.id,
        cat.id,
      ]);
      expect(ids(await ctx.store.searchVideos('cafe', { limit: 10 }))).toEqual([cat.id]);
      expect(ids(await ctx.store.searchVideos('dog, party!', { limit: 10 }))).toEqual([dog.id]);
      expect(ids(await ctx.store.searchVideos('ca', { limit: 10 }))).toEqual([]);
      expect(ids(await ctx.store.searchVideos('  ', { limit: 10 }))).toEqual([]);
      const p1 = await ctx.store.searchVideos('garden', { limit: 1 });
      expect(ids(p1)).toEqual([dog.id]);
      const p2 = await ctx.store.searchVideos('garden', { cursor: p1.next, limit: 1 });
      expect(ids(p2)).toEqual([cat.id]);
      expect(p2.next).toBeUndefined();
    });

    it('deleteVideos removes the videos, their comments and every listing, nothing else', async () => {
      const a = randomUUID();
      const [gone1, gone2, kept] = [1, 2, 3].map((t) => listed(a, t, { name: `zebra ${t}` }));
      for (const v of [gone1!, gone2!, kept!]) await ctx.store.createVideo(v);
      const comment = (videoId: string, createdAt: number) => ({
        id: randomUUID(),
        videoId,
        authorId: a,
        authorName: 'a',
        content: 'c',
        createdAt,
      });
      for (const v of [gone1!, gone1!, gone2!, kept!]) {
        await ctx.store.addComment(comment(v.id, v.createdAt));
      }
      const never = randomUUID(); // no record, no comment: fine
      await ctx.store.deleteVideos([gone1!.id, never, gone2!.id]);
      await ctx.store.deleteVideos([gone1!.id]); // again: idempotent
      await ctx.store.deleteVideos([]);
      for (const v of [gone1!, gone2!]) {
        expect(await ctx.store.getVideo(v.id)).toBeUndefined();
        expect(await ctx.store.listComments(v.id)).toEqual([]);
      }
      expect(await ctx.store.getVideo(kept!.id)).toEqual(kept);
      expect(await ctx.store.listComments(kept!.id)).toHaveLength(1);
      expect(ids(await ctx.store.listPublicVideos({ limit: 10 }))).toEqual([kept!.id]);
      expect(ids(await ctx.store.listPublicVideosByAuthor(a, { limit: 10 }))).toEqual([kept!.id]);
      expect(ids(await ctx.store.searchVideos('zebra', { limit: 10 }))).toEqual([kept!.id]);
      expect((await ctx.store.listVideosByAuthor(a)).map((v) => v.id)).toEqual([kept!.id]);
      await expect(ctx.store.deleteVideos([kept!.id, '../x'])).rejects.toMatchObject({
        code: 'ERR_INVALID_ID',
      });
      expect(await ctx.store.getVideo(kept!.id)).toEqual(kept); // a bad batch writes nothing
    });

    it('rejects a forged cursor or a bad limit with ERR_INVALID_ARGUMENT', async () => {
      for (const cursor of ['nope', Buffer.from('[1,"x"]').toString('base64url'), 'W10']) {
        await expect(ctx.store.listPublicVideos({ cursor, limit: 5 })).rejects.toMatchObject({
          code: 'ERR_INVALID_ARGUMENT',
        });
      }
      await expect(ctx.store.listPublicVideos({ limit: 0 })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    });
  });
}
