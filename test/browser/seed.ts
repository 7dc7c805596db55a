/**
 * Puts users and videos on a running site the way a page does — through the web origin's `/api`
 * relay with the session cookie and the multipart `POST /upload/:vid` — so browser tests start
 * from known content. Everything goes over real HTTP; nothing touches the store directly.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext } from 'playwright-core';

export interface SiteUser {
  name: string;
  id: string;
  /** `vs_sid=…`, for fetch and for a browser context. */
  cookie: string;
}

export interface SeededVideo {
  id: string;
  name: string;
}

// biome-ignore lint/suspicious/noExplicitAny: set-up reads a few known fields of api answers
type Json = any;

/** `POST /api` as the page sends it (same-origin: the web front's CSRF check wants Origin). */
export async function relay(
  web: string,
  url: string,
  method: string,
  body?: unknown,
  cookie?: string,
): Promise<{ status: number; json: Json; setCookie: string }> {
  const res = await fetch(`${web}/api`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: web, ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ url, method, req_body: body === undefined ? '' : JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    json: text ? JSON.parse(text) : undefined,
    setCookie: res.headers.get('set-cookie') ?? '',
  };
}

export async function registerUser(web: string, name: string): Promise<SiteUser> {
  const reg = await relay(web, '/user', 'POST', { user_name: name, pwd: 'a long passphrase' });
  assert.equal(reg.status, 201, `register ${name}: ${JSON.stringify(reg.json)}`);
  const cookie = reg.setCookie.split(';')[0]!;
  const me = await relay(web, `/user/${name}`, 'GET', undefined, cookie);
  assert.equal(me.status, 200);
  return { name, id: me.json.id as string, cookie };
}

/** Creates the record and uploads `file` into it; resolves once the server has it. */
export async function uploadVideo(
  web: string,
  user: SiteUser,
  file: string,
  details: { name: string; description?: string; visibility?: 'public' | 'unlisted' | 'private' },
): Promise<SeededVideo> {
  const made = await relay(
    web,
    `/user/${user.name}/videos`,
    'POST',
    { author_id: user.id, ...details },
    user.cookie,
  );
  assert.equal(made.status, 201, `create video: ${JSON.stringify(made.json)}`);
  const id = made.json.id as string;
  const form = new FormData();
  form.append('file', new Blob([await readFile(file)], { type: 'video/webm' }), 'sample.webm');
  const up = await fetch(`${web}/upload/${id}`, {
    method: 'POST',
    headers: { cookie: user.cookie, origin: web },
    body: form,
  });
  assert.ok(up.ok, `upload answered ${up.status}: ${await up.text()}`);
  return { id, name: details.name };
}

/** A browser context signed in as `user` (its cookie set for the site), or anonymous. */
export async function contextFor(
  browser: Browser,
  web: string,
  user?: SiteUser,
  viewport = { width: 1280, height: 800 },
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  if (user) {
    const [name, value] = user.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: web, httpOnly: true, sameSite: 'Strict' }]);
  }
  return context;
}
