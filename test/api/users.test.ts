/** The api over real HTTP on loopback: users, sessions, and who the caller is. */
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

describe('a short session lifetime', () => {
  const short = useApi({ sessionTtlMs: 1000 });

  it('expires the session at the TTL fixed at creation', async () => {
    const u = await short.register('shorty');
    expect((await short.call('GET', '/user/shorty', { sid: u.sid })).status).toBe(200);
    const { expiresAt } = (await short.app.ctx.records.getSession(u.sid))!;
    // Wait on the clock itself (not a guessed sleep): the condition is "now is past expiresAt".
    while (Date.now() <= expiresAt)
      await new Promise((r) => setTimeout(r, expiresAt - Date.now() + 1));
    expectError(await short.call('GET', '/user/shorty', { sid: u.sid }), 401, '002');
  });
});

describe('sliding sessions', () => {
  // Idle lifetime 3 s, absolute cap 6 s: a session used every ~300 ms outlives its idle lifetime
  // but not its cap. Each wait is on the clock itself (the condition is a time), never a guess.
  const sliding = useApi({ sessionTtlMs: 3000, sessionMaxMs: 6000 });
  const until = async (t: number) => {
    while (Date.now() <= t)
      await new Promise((r) => setTimeout(r, Math.min(300, t - Date.now() + 1)));
  };

  it('renews on use up to SESSION_MAX_MS, then expires', async () => {
    const u = await sliding.register('slider');
    const first = (await sliding.app.ctx.records.getSession(u.sid))!;
    expect(first.createdAt).toBeGreaterThan(0);
    // Used past the idle lifetime it set at creation: still valid, and its expiry moved.
    while (Date.now() <= first.expiresAt + 500) {
      expect((await sliding.call('GET', '/session', { sid: u.sid })).status).toBe(200);
      await until(Date.now() + 300);
    }
    const later = (await sliding.app.ctx.records.getSession(u.sid))!;
    expect(later.expiresAt).toBeGreaterThan(first.expiresAt);
    expect(later.expiresAt).toBeLessThanOrEqual(first.createdAt! + 6000);
    // Keep using it: the absolute cap still ends it.
    while ((await sliding.call('GET', '/session', { sid: u.sid })).status === 200) {
      expect(Date.now()).toBeLessThanOrEqual(first.createdAt! + 6000 + 1000);
      await until(Date.now() + 300);
    }
    expect(Date.now()).toBeGreaterThanOrEqual(first.createdAt! + 6000 - 1);
    expectError(await sliding.call('GET', '/session', { sid: u.sid }), 401, '002');
  });

  it('expires after the idle lifetime without use', async () => {
    const u = await sliding.register('idler');
    const { expiresAt } = (await sliding.app.ctx.records.getSession(u.sid))!;
    await until(expiresAt);
    expectError(await sliding.call('GET', '/session', { sid: u.sid }), 401, '002');
  });
});
