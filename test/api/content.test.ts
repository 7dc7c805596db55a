/** The api over real HTTP on loopback: videos, comments, request bodies. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectError, useApi } from './fixture.js';

const api = useApi();
const { call, register } = api;
const t = {
  get ctx() {
    return api.app.ctx;
  },
};

describe('videos', () => {
  it('creates, lists newest first, and deletes by marking and recording the deletion', async () => {
    const u = await register('henry');
    const empty = await call('GET', '/user/henry/videos', { sid: u.sid });
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ videos: [], next: null });
    const a = await call('POST', '/user/henry/videos', {
      sid: u.sid,
      body: { author_id: u.id, name: ' first ' },
    });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ author_id: u.id, name: 'first' });
    expect(a.json.display_ctime).toMatch(/^[A-Z][a-z]{2} \d{2} \d{4}, \d{2}:\d{2}:\d{2}$/);
    const b = await call('POST', '/user/henry/videos', {
      sid: u.sid,
      body: { author_id: u.id, name: 'second' },
    });
    const list = await call('GET', '/user/henry/videos', { sid: u.sid });
    expect(list.json.videos.map((v: { id: string }) => v.id)).toEqual([b.json.id, a.json.id]);

    const del = await call('DELETE', `/user/henry/videos/${a.json.id}`, { sid: u.sid });
    expect(del.status).toBe(204);
    const after = await call('GET', '/user/henry/videos', { sid: u.sid });
    expect(after.json.videos.map((v: { id: string }) => v.id)).toEqual([b.json.id]);
    expect((await t.ctx.records.getVideo(a.json.id))!.state).toBe('deleting');
    expect(await t.ctx.queue.getDeletion(a.json.id)).toMatchObject({
      videoId: a.json.id,
      state: 'pending',
    });
    expectError(
      await call('DELETE', `/user/henry/videos/${a.json.id}`, { sid: u.sid }),
      404,
      '005',
    );
  });

  it('validates names and ids: 400 for a non-UUID, 404 for an unknown video', async () => {
    const u = await register('iris');
    for (const name of ['', '   ', 'x'.repeat(121), 'bell\u0007'])
      expectError(
        await call('POST', '/user/iris/videos', { sid: u.sid, body: { author_id: u.id, name } }),
        400,
        '001',
      );
    expectError(await call('DELETE', '/user/iris/videos/not-a-uuid', { sid: u.sid }), 400, '001');
    expectError(
      await call('DELETE', `/user/iris/videos/${randomUUID()}`, { sid: u.sid }),
      404,
      '005',
    );
  });
});

describe('comments', () => {
  it('adds and lists comments newest first with the author name', async () => {
    const u = await register('jack');
    const o = await register('kate');
    const v = await call('POST', '/user/jack/videos', {
      sid: u.sid,
      body: { author_id: u.id, name: 'clip' },
    });
    const vid = v.json.id as string;
    expect((await call('GET', `/videos/${vid}/comments`, { sid: u.sid })).json).toEqual({
      comments: [],
      next: null,
    });
    const c1 = await call('POST', `/videos/${vid}/comments`, {
      sid: u.sid,
      body: { author_id: u.id, content: 'nice' },
    });
    expect(c1.status).toBe(201);
    expect(c1.json).toMatchObject({ video_id: vid, author: 'jack', content: 'nice' });
    await call('POST', `/videos/${vid}/comments`, {
      sid: o.sid,
      body: { author_id: o.id, content: 'agreed' },
    });
    const list = await call('GET', `/videos/${vid}/comments`, { sid: o.sid });
    expect(
      list.json.comments.map((c: { author: string; content: string }) => [c.author, c.content]),
    ).toEqual([
      ['kate', 'agreed'],
      ['jack', 'nice'],
    ]);
  });

  it('refuses bad content, bad ids, unknown and deleted videos, and anonymous callers', async () => {
    const u = await register('liam');
    const v = await call('POST', '/user/liam/videos', {
      sid: u.sid,
      body: { author_id: u.id, name: 'clip' },
    });
    const vid = v.json.id as string;
    for (const content of ['', ' \n ', 'x'.repeat(2001)])
      expectError(
        await call('POST', `/videos/${vid}/comments`, {
          sid: u.sid,
          body: { author_id: u.id, content },
        }),
        400,
        '001',
      );
    expectError(await call('GET', '/videos/nope/comments', { sid: u.sid }), 400, '001');
    expectError(await call('GET', `/videos/${randomUUID()}/comments`, { sid: u.sid }), 404, '005');
    expectError(
      await call('POST', `/videos/${randomUUID()}/comments`, {
        sid: u.sid,
        body: { author_id: u.id, content: 'hi' },
      }),
      404,
      '005',
    );
    // Reading a public video's comments needs no session (issue 12); writing does.
    expect((await call('GET', `/videos/${vid}/comments`)).status).toBe(200);
    expectError(
      await call('POST', `/videos/${vid}/comments`, { body: { author_id: u.id, content: 'hi' } }),
      401,
      '002',
    );
    await call('DELETE', `/user/liam/videos/${vid}`, { sid: u.sid });
    expectError(await call('GET', `/videos/${vid}/comments`, { sid: u.sid }), 404, '005');
  });
});

describe('request bodies', () => {
  it('answers malformed JSON with 400, non-objects with 400, other media types with 415', async () => {
    expectError(
      await call('POST', '/user', {
        raw: '{"user_name":',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      '001',
    );
    expectError(
      await call('POST', '/user', {
        raw: '[1,2]',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      '001',
    );
    expectError(
      await call('POST', '/user', { raw: '', headers: { 'content-type': 'application/json' } }),
      400,
      '001',
    );
    expectError(
      await call('POST', '/user', {
        raw: 'user_name=a',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      '009',
    );
  });

  it('answers an oversized body with 413 and leaves nothing behind', async () => {
    const huge = JSON.stringify({ user_name: 'huge', pwd: 'x'.repeat(64 * 1024) });
    expectError(
      await call('POST', '/user', { raw: huge, headers: { 'content-type': 'application/json' } }),
      413,
      '008',
    );
    expect(await t.ctx.records.getUserByName('huge')).toBeUndefined();
  });

  it('answers unknown paths with a JSON 404', async () => {
    const r = await call('GET', '/nothing/here');
    expect(r.status).toBe(404);
    expect(r.type).toMatch(/^application\/json/);
  });
});
