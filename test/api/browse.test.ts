/**
 * Issue 12's api over real HTTP on loopback: details and visibility on create and PATCH, the
 * public listing with cursors, one video by id, search, a user's public videos, and comments
 * only where the caller may see the video. A video is listed once its upload completed; these
 * tests mark it ready through the store's public API (what the upload path does), the stream
 * tests (test/http/media.test.ts) go through a real upload.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectError, useApi } from './fixture.js';

const api = useApi();
const { call, register } = api;

type User = Awaited<ReturnType<typeof register>>;

async function upload(
  u: User,
  body: Record<string, unknown>,
  ready = true,
): Promise<Record<string, unknown> & { id: string }> {
  const r = await call('POST', `/user/${u.name}/videos`, {
    sid: u.sid,
    body: { author_id: u.id, ...body },
  });
  expect(r.status).toBe(201);
  if (ready) await api.app.ctx.records.updateVideo(r.json.id, { ready: true });
  return r.json;
}

const ids = (r: { json: { videos: Array<{ id: string }> } }) => r.json.videos.map((v) => v.id);

describe('video details', () => {
  it('creates with description and visibility and answers the PublicVideo shape', async () => {
    const u = await register('dana');
    const v = await upload(
      u,
      { name: ' Trip ', description: 'Day one\nDay two', visibility: 'unlisted' },
      false,
    );
    expect(v).toMatchObject({
      name: 'Trip',
      description: 'Day one\nDay two',
      owner: 'dana',
      author_id: u.id,
      visibility: 'unlisted',
      duration_ms: null,
      width: null,
      height: null,
      poster_url: null,
      ready: false,
    });
    expect(new Date(v.created as string).toISOString()).toBe(v.created);
    expect(typeof v.display_ctime).toBe('string');
    const plain = await upload(u, { name: 'plain' }, false);
    expect(plain).toMatchObject({ visibility: 'public', description: '' });
    const mine = await call('GET', '/user/dana/videos', { sid: u.sid });
    expect(mine.json.videos[1]).toMatchObject({ id: v.id, owner: 'dana', visibility: 'unlisted' });
    for (const body of [
      { name: 'x', description: 'd'.repeat(5001) },
      { name: 'x', visibility: 'secret' },
      { name: 'x', description: 42 },
    ]) {
      expectError(
        await call('POST', '/user/dana/videos', { sid: u.sid, body: { author_id: u.id, ...body } }),
        400,
        '001',
      );
    }
  });

  it('lets only the owner PATCH name, description and visibility', async () => {
    const o = await register('ownr');
    const m = await register('mallory');
    const v = await upload(o, { name: 'before' });
    const r = await call('PATCH', `/user/ownr/videos/${v.id}`, {
      sid: o.sid,
      body: { name: 'after', description: 'd'.repeat(5000), visibility: 'private' },
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: v.id, name: 'after', visibility: 'private', ready: true });
    expect(r.json.description).toHaveLength(5000);
    const only = await call('PATCH', `/user/ownr/videos/${v.id}`, {
      sid: o.sid,
      body: { visibility: 'public' },
    });
    expect(only.json).toMatchObject({ name: 'after', visibility: 'public' });
    const patch = { body: { name: 'pwned' } };
    expectError(
      await call('PATCH', `/user/ownr/videos/${v.id}`, { sid: m.sid, ...patch }),
      403,
      '006',
    );
    expectError(
      await call('PATCH', `/user/mallory/videos/${v.id}`, { sid: m.sid, ...patch }),
      403,
      '006',
    );
    expectError(await call('PATCH', `/user/ownr/videos/${v.id}`, patch), 401, '002');
    expectError(
      await call('PATCH', `/user/ownr/videos/${randomUUID()}`, { sid: o.sid, ...patch }),
      404,
      '005',
    );
    expectError(
      await call('PATCH', `/user/ownr/videos/${v.id}`, { sid: o.sid, body: { visibility: 'x' } }),
      400,
      '001',
    );
    expect((await call('GET', `/videos/${v.id}`)).json.name).toBe('after');
  });
});

describe('visibility', () => {
  it('serves public and unlisted details to anyone, private ones only to the owner', async () => {
    const o = await register('vic');
    const other = await register('eve');
    const pub = await upload(o, { name: 'pub' });
    const unl = await upload(o, { name: 'unl', visibility: 'unlisted' });
    const prv = await upload(o, { name: 'prv', visibility: 'private' });
    for (const sid of [undefined, other.sid, 'not-a-session', randomUUID()]) {
      expect((await call('GET', `/videos/${pub.id}`, { sid })).json).toMatchObject({
        owner: 'vic',
      });
      expect((await call('GET', `/videos/${unl.id}`, { sid })).status).toBe(200);
      expectError(await call('GET', `/videos/${prv.id}`, { sid }), 404, '005');
      expectError(await call('GET', `/videos/${prv.id}/comments`, { sid }), 404, '005');
    }
    expect((await call('GET', `/videos/${prv.id}`, { sid: o.sid })).json).toMatchObject({
      id: prv.id,
      visibility: 'private',
      owner: 'vic',
    });
    expectError(await call('GET', `/videos/${randomUUID()}`), 404, '005');
    expectError(await call('GET', '/videos/not-a-uuid'), 400, '001');
    const comment = (u: User, vid: string) =>
      call('POST', `/videos/${vid}/comments`, {
        sid: u.sid,
        body: { author_id: u.id, content: 'hi' },
      });
    expectError(await comment(other, prv.id), 404, '005');
    expect((await comment(other, unl.id)).status).toBe(201);
    expect((await comment(o, prv.id)).status).toBe(201);
    expect(
      (await call('GET', `/videos/${prv.id}/comments`, { sid: o.sid })).json.comments,
    ).toHaveLength(1);
    expect((await call('GET', `/videos/${unl.id}/comments`)).json.comments).toHaveLength(1);
  });
});

describe('listings', () => {
  it('browses the newest public ready videos across pages, never unlisted or private ones', async () => {
    const a = await register('lister');
    const b = await register('lister2');
    const before = (await call('GET', '/videos')).json.videos.length;
    const listed: string[] = [];
    for (let i = 0; i < 5; i++) listed.unshift((await upload(i % 2 ? a : b, { name: `n${i}` })).id);
    await upload(a, { name: 'u', visibility: 'unlisted' });
    await upload(a, { name: 'p', visibility: 'private' });
    await upload(a, { name: 'not uploaded' }, false);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const r = await call('GET', `/videos?limit=2${q}`);
      expect(r.status).toBe(200);
      expect(r.json.videos.length).toBeLessThanOrEqual(2);
      seen.push(...ids(r));
      cursor = r.json.next;
    } while (cursor !== null);
    expect(seen).toHaveLength(before + 5);
    expect(seen.slice(0, 5)).toEqual(listed);
    const full = await call('GET', '/videos');
    expect(full.json.next).toBeNull();
    expect(full.json.videos[0]).toMatchObject({ id: listed[0], owner: 'lister2' });
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'cursor=forged']) {
      expectError(await call('GET', `/videos?${q}`), 400, '001');
    }
  });

  it("lists one user's public videos and 404s for an unknown user", async () => {
    const u = await register('uploader');
    const pub = await upload(u, { name: 'one' });
    await upload(u, { name: 'two', visibility: 'unlisted' });
    const r = await call('GET', '/users/uploader/videos');
    expect(ids(r)).toEqual([pub.id]);
    expect(r.json.next).toBeNull();
    expectError(await call('GET', '/users/nobody-here/videos'), 404, '005');
  });

  it('searches title and description words, public videos only', async () => {
    const u = await register('searcher');
    const a = await upload(u, { name: 'Zebra crossing', description: 'Abbey Road' });
    const b = await upload(u, { name: 'zebras', description: 'a zebra herd on the road' });
    await upload(u, { name: 'zebra private', visibility: 'private' });
    await upload(u, { name: 'zebra unlisted', visibility: 'unlisted' });
    expect(ids(await call('GET', '/search?q=zebra'))).toEqual([b.id, a.id]);
    expect(ids(await call('GET', '/search?q=ROAD%20abbey'))).toEqual([a.id]);
    expect(ids(await call('GET', '/search?q=herd'))).toEqual([b.id]);
    const p1 = await call('GET', '/search?q=zebra&limit=1');
    expect(ids(p1)).toEqual([b.id]);
    const p2 = await call('GET', `/search?q=zebra&limit=1&cursor=${p1.json.next}`);
    expect(ids(p2)).toEqual([a.id]);
    expect((await call('GET', '/search?q=')).json).toEqual({ videos: [], next: null });
    expectError(await call('GET', `/search?q=${'x'.repeat(201)}`), 400, '001');
  });
});
