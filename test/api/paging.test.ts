/**
 * Every list endpoint is paged (issue 10 item 5): a user's videos and a video's comments come in
 * pages of `limit` (default and maximum 100) with an opaque `next` cursor (null on the last),
 * under their old keys. Over real HTTP; 105 records seeded through the store.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectError, useApi } from './fixture.js';

const api = useApi();
const { call, register } = api;

async function walk(path: string, sid: string, key: 'videos' | 'comments', limit?: number) {
  const sizes: number[] = [];
  const ids: string[] = [];
  let next: string | null = null;
  do {
    const q = new URLSearchParams();
    if (limit) q.set('limit', String(limit));
    if (next) q.set('cursor', next);
    const r = await call('GET', `${path}?${q}`, { sid });
    expect(r.status).toBe(200);
    sizes.push(r.json[key].length);
    ids.push(...r.json[key].map((x: { id: string }) => x.id));
    next = r.json.next;
    expect(next === null || typeof next === 'string').toBe(true);
  } while (next && sizes.length < 50);
  return { sizes, ids };
}

describe('paged lists', () => {
  it("a user's videos: 100 by default, then the rest; any limit up to 100", async () => {
    const u = await register('pager');
    const made: string[] = [];
    const now = Date.now();
    for (let i = 0; i < 105; i++) {
      const id = randomUUID();
      made.push(id);
      await api.app.ctx.records.createVideo({
        id,
        authorId: u.id,
        name: `v${i}`,
        createdAt: now - i * 1000,
        state: 'active',
      });
    }
    const byDefault = await walk('/user/pager/videos', u.sid, 'videos');
    expect(byDefault.sizes).toEqual([100, 5]);
    expect(byDefault.ids).toEqual(made);
    const small = await walk('/user/pager/videos', u.sid, 'videos', 40);
    expect(small.sizes).toEqual([40, 40, 25]);
    expect(small.ids).toEqual(made);
    for (const bad of ['0', '101', '-1', 'ten', '1.5']) {
      expectError(await call('GET', `/user/pager/videos?limit=${bad}`, { sid: u.sid }), 400, '001');
    }
    expectError(
      await call('GET', '/user/pager/videos?cursor=nonsense', { sid: u.sid }),
      400,
      '001',
    );
  });

  it("a video's comments, the same way", async () => {
    const u = await register('talker');
    const v = await call('POST', '/user/talker/videos', {
      sid: u.sid,
      body: { author_id: u.id, name: 'talked about' },
    });
    const vid = v.json.id as string;
    const made: string[] = [];
    const now = Date.now();
    for (let i = 0; i < 103; i++) {
      const id = randomUUID();
      made.push(id);
      await api.app.ctx.records.addComment({
        id,
        videoId: vid,
        authorId: u.id,
        authorName: 'talker',
        content: `c${i}`,
        createdAt: now - i * 1000,
      });
    }
    const pages = await walk(`/videos/${vid}/comments`, u.sid, 'comments');
    expect(pages.sizes).toEqual([100, 3]);
    expect(pages.ids).toEqual(made);
    expect((await walk(`/videos/${vid}/comments`, u.sid, 'comments', 100)).sizes).toEqual([100, 3]);
    expectError(await call('GET', `/videos/${vid}/comments?limit=500`, { sid: u.sid }), 400, '001');
  });
});
