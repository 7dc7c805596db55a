/**
 * The web front over real HTTP, in both deployments: co-located (api handler called in-process,
 * stream routes registered on the web app) and split (api and stream in another app, reached
 * through API_URL / STREAM_URL). Pages, redirects, the session cookie, the relay, the stream
 * routes on the web origin.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountApi } from '../../src/http/api/index.js';
import { mountStream } from '../../src/http/stream/index.js';
import { mountWeb } from '../../src/http/web/index.js';
import { startApp, type TestApp } from '../api/harness.js';

const FIXTURE = readFileSync(fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url)));

interface Site {
  web: string;
  ttlMs: number;
  stop(): Promise<void>;
}

async function colocated(): Promise<Site> {
  // The web front calls the co-located api in-process; the api's own routes (which share
  // `GET /videos/:vid` with the stream routes on the web origin) live on their own port.
  const app = await startApp([mountWeb], { only: ['web', 'api', 'stream'] });
  return { web: app.url, ttlMs: app.ctx.config.sessionMaxMs, stop: app.stop };
}

async function split(): Promise<Site> {
  // api and stream on their own ports (both serve `GET /videos/:vid`) over one store.
  const back = await startApp([mountApi], { only: ['api', 'stream'] });
  let stream: TestApp;
  let front: TestApp;
  try {
    stream = await startApp([mountStream], {
      only: ['api', 'stream'],
      dataDir: back.ctx.config.dataDir,
    });
  } catch (e) {
    await back.stop();
    throw e;
  }
  try {
    front = await startApp([mountWeb], { only: ['web'], apiUrl: back.url, streamUrl: stream.url });
  } catch (e) {
    await stream.stop();
    await back.stop();
    throw e;
  }
  return {
    web: front.url,
    ttlMs: front.ctx.config.sessionMaxMs,
    stop: async () => {
      await front.stop();
      await stream.stop();
      await back.stop();
    },
  };
}

/** POST /api with the relay body; returns status, parsed body and Set-Cookie. */
async function relay(site: Site, url: string, method: string, body?: unknown, cookie?: string) {
  const res = await fetch(`${site.web}/api`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ url, method, req_body: body === undefined ? '' : JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    json: text ? JSON.parse(text) : undefined,
    setCookie: res.headers.get('set-cookie') ?? '',
  };
}

function cookieOf(setCookie: string): string {
  return setCookie.split(';')[0]!;
}

describe.each([
  ['co-located', colocated],
  ['split', split],
])('web front (%s)', (_mode, start) => {
  let site: Site;
  beforeAll(async () => {
    site = await start();
  });
  afterAll(() => site?.stop());

  it('renders the sign-in page with local assets and strict headers', async () => {
    const res = await fetch(`${site.web}/login`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).toContain('id="signin-form"');
    expect(html).toContain('id="register-form"');
    expect(html).toMatch(/href="\/statics\/css\/site\.css\?v=[\w-]+"/);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect((await fetch(`${site.web}/login`, { method: 'POST', body: 'a=b' })).status).toBe(200);
    const head = await fetch(`${site.web}/login`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(Buffer.byteLength(html));
    expect(await head.text()).toBe('');
  });

  it('redirects anonymous visitors from /userhome to the sign-in page', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await fetch(`${site.web}/userhome`, { method, redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/login?next=%2Fuserhome');
    }
  });

  it('sets an HttpOnly SameSite=Strict cookie on register and keeps the id from the page', async () => {
    const r = await relay(site, '/user', 'POST', { user_name: 'webby', pwd: 'web password' });
    expect(r.status).toBe(201);
    expect(r.type).toMatch(/^application\/json/);
    expect(r.json).toEqual({ success: true });
    expect(r.setCookie).toMatch(/^vs_sid=[0-9a-f-]{36}; /);
    expect(r.setCookie).toContain('HttpOnly');
    expect(r.setCookie).toContain('SameSite=Strict');
    expect(r.setCookie).toContain('Path=/');
    expect(r.setCookie).toContain(`Max-Age=${Math.floor(site.ttlMs / 1000)}`);

    const cookie = cookieOf(r.setCookie);
    const home = await fetch(`${site.web}/login`, { headers: { cookie }, redirect: 'manual' });
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toBe('/userhome');
    const page = await fetch(`${site.web}/userhome`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-user-name="webby"');
    expect(html).not.toContain(cookie.slice('vs_sid='.length));
  });

  it('logs in with a cookie, answers real status codes, and logout revokes and clears', async () => {
    await relay(site, '/user', 'POST', { user_name: 'logger', pwd: 'log password' });
    const bad = await relay(site, '/user/logger', 'POST', {
      user_name: 'logger',
      pwd: 'nope nope',
    });
    expect(bad.status).toBe(401);
    expect(bad.json.error_code).toBe('002');
    expect(bad.setCookie).toBe('');
    const ok = await relay(site, '/user/logger', 'POST', {
      user_name: 'logger',
      pwd: 'log password',
    });
    expect(ok.status).toBe(200);
    const cookie = cookieOf(ok.setCookie);
    const me = await relay(site, '/user/logger', 'GET', undefined, cookie);
    expect(me.status).toBe(200);
    expect(me.json.id).toMatch(/^[0-9a-f-]{36}$/);

    const out = await relay(site, '/user/logger/sessions', 'DELETE', undefined, cookie);
    expect(out.status).toBe(204);
    expect(out.setCookie).toMatch(/^vs_sid=; .*Max-Age=0/);
    // The old cookie is dead server-side: the api refuses it and the page redirects.
    const again = await relay(site, '/user/logger', 'GET', undefined, cookie);
    expect(again.status).toBe(401);
    expect(again.setCookie).toMatch(/Max-Age=0/);
    const page = await fetch(`${site.web}/userhome`, { headers: { cookie }, redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('set-cookie')).toMatch(/^vs_sid=; .*Max-Age=0/);
  });

  it('serves uploads and ranged playback on the web origin with the cookie as the session', async () => {
    const reg = await relay(site, '/user', 'POST', {
      user_name: 'uploader',
      pwd: 'upload password',
    });
    const cookie = cookieOf(reg.setCookie);
    const me = await relay(site, '/user/uploader', 'GET', undefined, cookie);
    const video = await relay(
      site,
      '/user/uploader/videos',
      'POST',
      { author_id: me.json.id, name: 'clip' },
      cookie,
    );
    expect(video.status).toBe(201);
    const vid = video.json.id as string;

    const anonymous = await fetch(`${site.web}/upload/${vid}`, {
      method: 'POST',
      headers: { 'content-type': 'video/webm' },
      body: FIXTURE,
    });
    expect(anonymous.status).toBe(401);
    const form = new FormData();
    form.append('file', new Blob([FIXTURE], { type: 'video/webm' }), 'sample.webm');
    const up = await fetch(`${site.web}/upload/${vid}`, {
      method: 'POST',
      headers: { cookie },
      body: form,
    });
    expect(up.status).toBe(201);

    const ranged = await fetch(`${site.web}/videos/${vid}`, {
      headers: { range: 'bytes=1000-1999' },
    });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-1999/${FIXTURE.length}`);
    expect(ranged.headers.get('content-type')).toBe('video/webm');
    expect(Buffer.from(await ranged.arrayBuffer()).equals(FIXTURE.subarray(1000, 2000))).toBe(true);
    const whole = await fetch(`${site.web}/videos/${vid}`);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(FIXTURE)).toBe(true);
    const etag = whole.headers.get('etag')!;
    expect(
      (await fetch(`${site.web}/videos/${vid}`, { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);
    const head = await fetch(`${site.web}/videos/${vid}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(FIXTURE.length));
    expect((await fetch(`${site.web}/videos/00000000-0000-4000-8000-000000000000`)).status).toBe(
      404,
    );
  });
});
