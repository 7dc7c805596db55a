/**
 * CSRF (issue 10 item 6) over real HTTP: every state-changing route of the web origin — the
 * `/api` relay (sign-up, sign-out, any write), uploads — answers 403 `006` to a request from
 * another origin: another port of the same host, a sibling subdomain, `Origin: null`, or a
 * browser that says `Sec-Fetch-Site: same-site`/`cross-site`. Same-origin requests and clients
 * that send neither header (curl) pass. In both deployments (co-located stream routes on the web
 * app; split, through the stream proxy). Requests go through node:http so Host can be set.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { mountApi } from '../../src/http/api/index.js';
import { mountStream } from '../../src/http/stream/index.js';
import { mountWeb } from '../../src/http/web/index.js';
import { startApp, type TestApp } from '../api/harness.js';

const FIXTURE = readFileSync(fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url)));

interface Answer {
  status: number;
  json: { error_code?: string; [k: string]: unknown } | undefined;
  setCookie: string;
}

function send(
  base: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(base + path, {
      method: 'POST',
      agent: false,
      headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Answer['json'];
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        const sc = res.headers['set-cookie'];
        resolve({ status: res.statusCode!, json, setCookie: sc ? sc.join('\n') : '' });
      });
    });
    req.end(body);
  });
}

const relayBody = (url: string, method: string, body?: unknown) =>
  JSON.stringify({ url, method, req_body: body === undefined ? '' : JSON.stringify(body) });

function relay(
  base: string,
  headers: Record<string, string>,
  url: string,
  method: string,
  body?: unknown,
) {
  return send(
    base,
    '/api',
    { 'content-type': 'application/json', ...headers },
    relayBody(url, method, body),
  );
}

function expectRefused(a: Answer): void {
  expect(a.status).toBe(403);
  expect(a.json?.error_code).toBe('006');
}

interface Site {
  web: string;
  stop(): Promise<void>;
}

async function colocated(config: Partial<Config> = {}): Promise<Site> {
  // The web front calls the co-located api in-process (its own routes would share
  // `GET /videos/:vid` with the stream routes on this app).
  const app = await startApp([mountWeb], { only: ['web', 'api', 'stream'], ...config });
  return { web: app.url, stop: app.stop };
}

async function split(): Promise<Site> {
  // api and stream on their own ports (both serve `GET /videos/:vid`) over one store.
  const back = await startApp([mountApi], { only: ['api', 'stream'] });
  const apps: TestApp[] = [back];
  const stopAll = async () => {
    for (const a of apps.reverse()) await a.stop();
  };
  try {
    const stream = await startApp([mountStream], {
      only: ['api', 'stream'],
      dataDir: back.ctx.config.dataDir,
    });
    apps.push(stream);
    const front = await startApp([mountWeb], {
      only: ['web'],
      apiUrl: back.url,
      streamUrl: stream.url,
    });
    apps.push(front);
    return { web: front.url, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

describe.each([
  ['co-located', () => colocated()],
  ['split', split],
])('state-changing routes of the web origin (%s)', (_mode, start) => {
  let site: Site;
  let otherPort: string;
  beforeAll(async () => {
    site = await start();
    const u = new URL(site.web);
    otherPort = `http://${u.hostname}:${Number(u.port) === 65535 ? 1 : Number(u.port) + 1}`;
  });
  afterAll(() => site?.stop());

  it('relay: other port, Origin null, same-site fetch → 403; same origin and plain clients pass', async () => {
    const reg = (name: string, headers: Record<string, string>) =>
      relay(site.web, headers, '/user', 'POST', { user_name: name, pwd: 'csrf password' });
    expectRefused(await reg('csrf-a', { origin: otherPort }));
    expectRefused(await reg('csrf-a', { origin: 'null' }));
    expectRefused(await reg('csrf-a', { 'sec-fetch-site': 'same-site' }));
    expectRefused(await reg('csrf-a', { 'sec-fetch-site': 'cross-site' }));
    // Nothing was created by the refused ones: the same name registers now.
    const ok = await reg('csrf-a', { origin: site.web });
    expect(ok.status).toBe(201);
    expect((await reg('csrf-b', { 'sec-fetch-site': 'same-origin' })).status).toBe(201);
    expect((await reg('csrf-c', {})).status).toBe(201);
  });

  it('a sibling subdomain is another origin; the Host header names ours', async () => {
    const port = new URL(site.web).port;
    const headers = (origin: string) => ({ host: `videos.example.test:${port}`, origin });
    const reg = (name: string, origin: string) =>
      relay(site.web, headers(origin), '/user', 'POST', { user_name: name, pwd: 'csrf password' });
    expectRefused(await reg('sub-a', `http://evil.example.test:${port}`));
    expectRefused(await reg('sub-a', `https://videos.example.test:${port}`));
    expect((await reg('sub-a', `http://videos.example.test:${port}`)).status).toBe(201);
  });

  it('sign-out and uploads from another port are refused and change nothing', async () => {
    const same = { origin: site.web };
    const reg = await relay(site.web, same, '/user', 'POST', {
      user_name: 'csrf-up',
      pwd: 'csrf password',
    });
    const cookie = reg.setCookie.split(';')[0]!;
    const me = await relay(site.web, { ...same, cookie }, '/user/csrf-up', 'GET');
    const video = await relay(site.web, { ...same, cookie }, '/user/csrf-up/videos', 'POST', {
      author_id: me.json?.id,
      name: 'clip',
    });
    expect(video.status).toBe(201);
    const vid = video.json?.id as string;

    const upload = (origin: string) =>
      send(site.web, `/upload/${vid}`, { origin, cookie, 'content-type': 'video/webm' }, FIXTURE);
    expectRefused(await upload(otherPort));
    expectRefused(await upload('null'));
    // tus on the web origin (`/files`) is an upload route too.
    const tusCreate = (origin: string) =>
      send(
        site.web,
        '/files',
        {
          origin,
          cookie,
          'tus-resumable': '1.0.0',
          'upload-length': String(FIXTURE.length),
          'upload-metadata': `video_id ${Buffer.from(vid).toString('base64')}`,
        },
        '',
      );
    expectRefused(await tusCreate(otherPort));
    expect((await tusCreate(site.web)).status).toBe(201);
    expect((await fetch(`${site.web}/videos/${vid}`, { headers: { cookie } })).status).toBe(404);

    expectRefused(
      await relay(site.web, { origin: otherPort, cookie }, '/user/csrf-up/sessions', 'DELETE'),
    );
    // Still signed in: the session was not revoked.
    expect((await relay(site.web, { ...same, cookie }, '/user/csrf-up', 'GET')).status).toBe(200);

    expect((await upload(site.web)).status).toBe(201);
    expect((await fetch(`${site.web}/videos/${vid}`, { headers: { cookie } })).status).toBe(200);
    expect(
      (await relay(site.web, { ...same, cookie }, '/user/csrf-up/sessions', 'DELETE')).status,
    ).toBe(204);
  });
});

describe('the site origin from configuration', () => {
  let pinned: Site;
  let proxied: Site;
  beforeAll(async () => {
    pinned = await colocated({ publicUrl: 'https://videos.example.org' });
    proxied = await colocated({ trustProxy: ['loopback'] });
  });
  afterAll(async () => {
    await pinned?.stop();
    await proxied?.stop();
  });

  const reg = (base: string, name: string, headers: Record<string, string>) =>
    relay(base, headers, '/user', 'POST', { user_name: name, pwd: 'csrf password' });

  it('PUBLIC_URL is the only origin accepted, whatever the Host', async () => {
    expectRefused(await reg(pinned.web, 'pin-a', { origin: pinned.web }));
    expect((await reg(pinned.web, 'pin-a', { origin: 'https://videos.example.org' })).status).toBe(
      201,
    );
  });

  it('X-Forwarded-Proto/Host are believed from a TRUST_PROXY peer', async () => {
    const fwd = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'site.example.test' };
    expectRefused(await reg(proxied.web, 'prx-a', { ...fwd, origin: proxied.web }));
    expect(
      (await reg(proxied.web, 'prx-a', { ...fwd, origin: 'https://site.example.test' })).status,
    ).toBe(201);
  });

  it('…and ignored from anyone else', async () => {
    const site = await colocated();
    try {
      const fwd = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'site.example.test' };
      expectRefused(await reg(site.web, 'prx-b', { ...fwd, origin: 'https://site.example.test' }));
      expect((await reg(site.web, 'prx-b', { ...fwd, origin: site.web })).status).toBe(201);
    } finally {
      await site.stop();
    }
  });
});
