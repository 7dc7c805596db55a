/**
 * Paging part of the RecordStore conformance suite: an author's videos (any visibility, active
 * only) and a video's comments, newest first, in pages of `limit` with an opaque `next` cursor;
 * pages never repeat or skip an item, ties on time are ordered by id, a malformed cursor is
 * ERR_INVALID_ARGUMENT.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Comment, Page, PageRequest } from '../../src/store/index.js';
import type { Ctx } from './records.case.js';

async function all<T>(read: (p: PageRequest) => Promise<Page<T>>, limit: number): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await read({ cursor, limit });
    pages.push(page.items);
    cursor = page.next;
  } while (cursor !== undefined && pages.length < 100);
  return pages;
}

export function describePaging(ctx: Ctx): void {
  describe('paged owner lists', () => {
    it("pages an author's active videos newest first, ties by id, none repeated or skipped", async () => {
      const a = randomUUID();
      const times = [50, 40, 40, 40, 30, 20, 10];
      const ids: string[] = [];
      for (const t of times) {
        const id = randomUUID();
        ids.push(id);
        await ctx.store.createVideo({
          id,
          authorId: a,
          name: `v${t}`,
          createdAt: t,
          state: 'active',
        });
      }
      await ctx.store.createVideo({
        id: randomUUID(),
        authorId: randomUUID(),
        name: 'other author',
        createdAt: 45,
        state: 'active',
      });
      const hidden = randomUUID();
      await ctx.store.createVideo({
        id: hidden,
        authorId: a,
        name: 'gone',
        createdAt: 35,
        state: 'active',
      });
      await ctx.store.markVideoDeleting(hidden);

      const pages = await all((p) => ctx.store.pageVideosByAuthor(a, p), 3);
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      const flat = pages.flat();
      expect(flat.map((v) => v.createdAt)).toEqual([50, 40, 40, 40, 30, 20, 10]);
      expect(new Set(flat.map((v) => v.id))).toEqual(new Set(ids));
      const tied = flat.filter((v) => v.createdAt === 40).map((v) => v.id);
      expect(tied).toEqual([...tied].sort().reverse());

      const one = await ctx.store.pageVideosByAuthor(a, { limit: 7 });
      expect(one.items).toHaveLength(7);
      expect(one.next).toBeUndefined();
      expect(await ctx.store.pageVideosByAuthor(randomUUID(), { limit: 5 })).toEqual({
        items: [],
        next: undefined,
      });
    });

    it("pages a video's comments newest first", async () => {
      const vid = randomUUID();
      const made: Comment[] = [];
      for (let i = 0; i < 5; i++) {
        const c: Comment = {
          id: randomUUID(),
          videoId: vid,
          authorId: randomUUID(),
          authorName: `u${i}`,
          content: `c${i}`,
          createdAt: 100 + i,
        };
        made.push(c);
        await ctx.store.addComment(c);
      }
      await ctx.store.addComment({ ...made[0]!, id: randomUUID(), videoId: randomUUID() });
      const pages = await all((p) => ctx.store.pageComments(vid, p), 2);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual([...made].reverse());
    });

    it('refuses a cursor it did not hand out', async () => {
      for (const cursor of ['garbage', Buffer.from('[1,"x"]').toString('base64url')]) {
        await expect(
          ctx.store.pageComments(randomUUID(), { cursor, limit: 5 }),
        ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
        await expect(
          ctx.store.pageVideosByAuthor(randomUUID(), { cursor, limit: 5 }),
        ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      }
    });
  });
}
