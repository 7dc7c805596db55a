/** The api over real HTTP on loopback: users, sessions, and who the caller is. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { expectError, manualClock, useApi } from './fixture.js';

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
  // The app's clock is moved by hand (ServiceContext.now): no waiting for the TTL to pass.
  const clock = manualClock();
  const short = useApi({ sessionTtlMs: 1000 }, { now: clock.now });

  it('expires the session at the TTL fixed at creation', async () => {
    const u = await short.register('shorty');
    expect((await short.call('GET', '/user/shorty', { sid: u.sid })).status).toBe(200);
    const { expiresAt } = (await short.app.ctx.records.getSession(u.sid, clock.now()))!;
    expect(expiresAt).toBe(clock.now() + 1000);
    clock.set(expiresAt);
    expectError(await short.call('GET', '/user/shorty', { sid: u.sid }), 401, '002');
  });
});

describe('sliding sessions', () => {
  // Idle lifetime 30 min, absolute cap 2 h, on a clock the test moves (ServiceContext.now): a
  // session used every 10 min outlives its idle lifetime but not its cap.
  const TTL = 30 * 60_000;
  const MAX = 2 * 3600_000;
  const STEP = 10 * 60_000;
  const clock = manualClock();
  const sliding = useApi({ sessionTtlMs: TTL, sessionMaxMs: MAX }, { now: clock.now });
  // A renewal is written in the background: wait for the store to hold the expiry a use at `at`
  // must have set (a condition, not a guessed sleep), so the next step reads it.
  const renewedTo = async (sid: string, expected: number) => {
    await vi.waitFor(
      async () =>
        expect((await sliding.app.ctx.records.getSession(sid, 0))!.expiresAt).toBe(expected),
      { timeout: 10_000, interval: 20 },
    );
  };

  it('renews on use up to SESSION_MAX_MS, then expires', async () => {
    const u = await sliding.register('slider');
    const first = (await sliding.app.ctx.records.getSession(u.sid, clock.now()))!;
    expect(first.createdAt).toBe(clock.now());
    expect(first.expiresAt).toBe(first.createdAt! + TTL);
    const cap = first.createdAt! + MAX;
    // Used every STEP: each use slides the expiry to now + TTL, never past the cap.
    let uses = 0;
    while (clock.now() + STEP < cap) {
      clock.set(clock.now() + STEP);
      expect((await sliding.call('GET', '/session', { sid: u.sid })).status).toBe(200);
      await renewedTo(u.sid, Math.min(clock.now() + TTL, cap));
      uses++;
    }
    // It outlived its first idle lifetime several times over.
    expect(clock.now()).toBeGreaterThan(first.expiresAt + TTL);
    expect(uses).toBeGreaterThan(MAX / STEP - 2);
    // Still valid just before the cap, expired at it however recently it was used.
    clock.set(cap - 1);
    expect((await sliding.call('GET', '/session', { sid: u.sid })).status).toBe(200);
    clock.set(cap);
    expectError(await sliding.call('GET', '/session', { sid: u.sid }), 401, '002');
  });

  it('expires after the idle lifetime without use', async () => {
    const u = await sliding.register('idler');
    const { expiresAt } = (await sliding.app.ctx.records.getSession(u.sid, clock.now()))!;
    expect(expiresAt).toBe(clock.now() + TTL);
    // Idle for its whole lifetime (no use in between to slide it): expired at expiresAt exactly.
    clock.set(expiresAt - 1);
    expect(await sliding.app.ctx.records.getSession(u.sid, clock.now())).toBeDefined();
    clock.set(expiresAt);
    expectError(await sliding.call('GET', '/session', { sid: u.sid }), 401, '002');
  });
});
