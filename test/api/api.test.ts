/** The api over real HTTP on loopback: every endpoint, and the attacks the seed let through. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountApi } from '../../src/http/api/index.js';
import { request as req, startApp, type TestApp } from './harness.js';

let t: TestApp;
const call = (method: string, path: string, opts?: Parameters<typeof req>[3]) =>
  req(t.url, method, path, opts);

async function register(name: string, pwd = 'correct horse') {
  const r = await call('POST', '/user', { body: { user_name: name, pwd } });
  expect(r.status).toBe(201);
  const sid: string = r.json.session_id;
  const me = await call('GET', `/user/${name}`, { sid });
  return { name, sid, id: me.json.id as string };
}

function expectError(
  r: { status: number; type: string | null; json: { error_code: string; error: string } },
  status: number,
  code: string,
) {
  expect(r.status).toBe(status);
  expect(r.type).toMatch(/^application\/json/);
  expect(r.json.error_code).toBe(code);
  expect(typeof r.json.error).toBe('string');
}

beforeAll(async () => {
  t = await startApp([mountApi]);
});
afterAll(() => t?.stop());

describe('users and sessions', () => {
  it('registers, logs in, reads the own id, and answers JSON', async () => {
    const reg = await call('POST', '/user', { body: { user_name: 'alice', pwd: 'wonderland' } });
    expect(reg.status).toBe(201);
    expect(reg.type).toMatch(/^application\/json/);
    expect(reg.json).toEqual({ success: true, session_id: expect.any(String) });
    const login = await call('POST', '/user/alice', {
      body: { user_name: 'alice', pwd: 'wonderland' },
    });
    expect(login.status).toBe(200);
    expect(login.json.success).toBe(true);
    expect(login.json.session_id).not.toBe(reg.json.session_id);
    const me = await call('GET', '/user/alice', { sid: login.json.session_id });
    expect(me.status).toBe(200);
    expect(me.json.id).toMatch(/^[0-9a-f-]{36}$/);
    const who = await call('GET', '/session', { sid: login.json.session_id });
    expect(who.json).toMatchObject({ user_id: me.json.id, user_name: 'alice' });
  });

  it('stores a salted scrypt hash, never the password', async () => {
    await register('hashy', 'same password');
    await register('hashy2', 'same password');
    const a = await t.ctx.records.getUserByName('hashy');
    const b = await t.ctx.records.getUserByName('hashy2');
    expect(a!.pwdHash).toMatch(/^scrypt\$/);
    expect(a!.pwdHash).not.toContain('same password');
    expect(a!.pwdHash).not.toBe(b!.pwdHash);
  });

  it('refuses a taken name with 409 007', async () => {
    await register('bob');
    expectError(
      await call('POST', '/user', { body: { user_name: 'bob', pwd: 'another one' } }),
      409,
      '007',
    );
  });

  it('refuses wrong passwords and unknown users alike with 401 002', async () => {
    await register('carol', 'carol-secret');
    expectError(
      await call('POST', '/user/carol', { body: { user_name: 'carol', pwd: 'wrong-pass' } }),
      401,
      '002',
    );
    expectError(
      await call('POST', '/user/nobody', { body: { user_name: 'nobody', pwd: 'whatever1' } }),
      401,
      '002',
    );
  });

  it('validates names, passwords and the URL/body name match with 400 001', async () => {
    const bad = [
      { user_name: 'ab', pwd: 'long enough' },
      { user_name: 'x'.repeat(33), pwd: 'long enough' },
      { user_name: 'has space', pwd: 'long enough' },
      { user_name: '../etc', pwd: 'long enough' },
      { user_name: 'shortpwd', pwd: '1234567' },
      { user_name: 'nopwd' },
      { user_name: 42, pwd: 'long enough' },
    ];
    for (const body of bad) expectError(await call('POST', '/user', { body }), 400, '001');
    await register('dave');
    expectError(
      await call('POST', '/user/dave', { body: { user_name: 'carol', pwd: 'correct horse' } }),
      400,
      '001',
    );
  });

  it('logout revokes the session server-side', async () => {
    const u = await register('erin');
    const out = await call('DELETE', '/user/erin/sessions', { sid: u.sid });
    expect(out.status).toBe(204);
    expect(out.text).toBe('');
    expectError(await call('GET', '/user/erin', { sid: u.sid }), 401, '002');
    expectError(await call('DELETE', '/user/erin/sessions', { sid: u.sid }), 401, '002');
  });

  it('sets the session lifetime from sessionTtlMs and rejects an expired session', async () => {
    const before = Date.now();
    const u = await register('frank');
    const s = await t.ctx.records.getSession(u.sid);
    expect(s!.expiresAt).toBeGreaterThanOrEqual(before + t.ctx.config.sessionTtlMs);
    expect(s!.expiresAt).toBeLessThanOrEqual(Date.now() + t.ctx.config.sessionTtlMs);
    // A session whose fixed expiry has passed, written straight into the store.
    const expired = randomUUID();
    await t.ctx.records.createSession({
      id: expired,
      userId: u.id,
      userName: 'frank',
      expiresAt: Date.now() - 1,
    });
    expectError(await call('GET', '/user/frank', { sid: expired }), 401, '002');
  });

  it('rejects missing, malformed and unknown session ids with 401 002', async () => {
    await register('gina');
    expectError(await call('GET', '/user/gina'), 401, '002');
    expectError(await call('GET', '/user/gina', { sid: 'not-a-uuid' }), 401, '002');
    expectError(await call('GET', '/user/gina', { sid: randomUUID() }), 401, '002');
  });
});

describe('the user comes from the session only', () => {
  it('ignores a spoofed X-User-Name header', async () => {
    const mallory = await register('mallory');
    await register('victim');
    const r = await call('GET', '/user/victim/videos', {
      sid: mallory.sid,
      headers: { 'x-user-name': 'victim' },
    });
    expectError(r, 403, '006');
    const noSession = await call('GET', '/user/victim', { headers: { 'x-user-name': 'victim' } });
    expectError(noSession, 401, '002');
  });

  it("refuses another user's URL and author_id with 403 006", async () => {
    const m = await register('mallory2');
    const v = await register('victim2');
    expectError(await call('GET', '/user/victim2', { sid: m.sid }), 403, '006');
    expectError(
      await call('POST', '/user/victim2/videos', {
        sid: m.sid,
        body: { author_id: v.id, name: 'x' },
      }),
      403,
      '006',
    );
    expectError(
      await call('POST', '/user/mallory2/videos', {
        sid: m.sid,
        body: { author_id: v.id, name: 'x' },
      }),
      403,
      '006',
    );
    expectError(await call('DELETE', '/user/victim2/sessions', { sid: m.sid }), 403, '006');
    const video = await call('POST', '/user/victim2/videos', {
      sid: v.sid,
      body: { author_id: v.id, name: 'mine' },
    });
    expectError(
      await call('DELETE', `/user/victim2/videos/${video.json.id}`, { sid: m.sid }),
      403,
      '006',
    );
    expectError(
      await call('DELETE', `/user/mallory2/videos/${video.json.id}`, { sid: m.sid }),
      403,
      '006',
    );
    expectError(
      await call('POST', `/videos/${video.json.id}/comments`, {
        sid: m.sid,
        body: { author_id: v.id, content: 'as you' },
      }),
      403,
      '006',
    );
    expect((await call('GET', '/user/victim2/videos', { sid: v.sid })).json.videos).toHaveLength(1);
  });
});

describe('videos', () => {
  it('creates, lists newest first, and deletes by marking and recording the deletion', async () => {
    const u = await register('henry');
    const empty = await call('GET', '/user/henry/videos', { sid: u.sid });
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ videos: [] });
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
    expect(await t.ctx.records.getDeletion(a.json.id)).toMatchObject({
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
    expectError(await call('GET', `/videos/${vid}/comments`), 401, '002');
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
