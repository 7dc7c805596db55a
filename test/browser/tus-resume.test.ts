/**
 * A resumable upload from the page, in real Chromium: a 50 MB video goes up with tus-js-client
 * (8 MiB chunks to `/files/` on the web origin); at about half the test cuts the browser's
 * network (every `/files/` request from then on fails as disconnected); the page reports the interruption; the network comes back, the page is reloaded, the
 * same file is chosen again and the upload continues from the server's offset (> 0, read by
 * the page's HEAD) into the same video record, and the bytes served afterwards are exactly the
 * file's. The file is the sample WebM followed by an EBML Void element of random bytes — still
 * a valid WebM that the server's probe accepts.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { launchBrowser } from './browser.js';
import { contextFor, registerUser, type SiteUser } from './seed.js';
import { bigWebm, expectServed, watchTus } from './tus-page.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = `${root}test-artifacts/browser`;
const SIZE = 50 * 1000 * 1000;

let server: TestServer | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let dir: string | undefined;
let user: SiteUser;
let file: string;
let digest: string;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  dir = await mkdtemp(join(tmpdir(), 'vs-tus-page-'));
  file = join(dir, 'big-clip.webm');
  digest = createHash('sha256')
    .update(await bigWebm(file, SIZE))
    .digest('hex');
  browser = await launchBrowser();
  server = await startTestServer();
  user = await registerUser(server.urls.web!, `tus_${Date.now().toString(36)}`);
  context = await contextFor(browser, server.urls.web!, user);
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  const code = await server?.stop();
  expect(code).toBe(0);
});

it('resumes a 50 MB upload cut at about half, after a reload, from the server offset', async () => {
  const web = server!.urls.web!;
  const page = await context!.newPage();
  const { creations, headOffsets } = watchTus(page);

  // First attempt: the network is cut (every /files/ request fails as if disconnected) from the
  // first chunk that starts at or past half the file; tus-js-client's retries fail the same way.
  let cutting = false;
  await page.route('**/files/**', (route) => {
    const req = route.request();
    const offset = Number(req.headers()['upload-offset'] ?? -1);
    if (req.method() === 'PATCH' && offset >= SIZE / 2) cutting = true;
    return cutting ? route.abort('internetdisconnected') : route.continue();
  });
  await page.goto(`${web}/userhome`);
  await page.setInputFiles('#upload-file', file);
  await page.fill('#upload-name', 'Big resumable clip');
  await page.click('#upload-submit');
  // tus-js-client's retries (upload.js) wait 44 s in all before the page reports the cut.
  await page.waitForSelector('#page-error:not([hidden])', { timeout: 180_000 });
  expect(await page.textContent('#page-error')).toMatch(/continue where it stopped/);
  await page.screenshot({ path: join(ARTIFACTS, '20-upload-interrupted.png'), fullPage: true });
  expect(creations).toHaveLength(1);
  expect(creations[0]).toMatch(/\/files\/.+/);

  expect(cutting).toBe(true);
  expect(headOffsets).toEqual([]);

  // Network back, page reloaded, the same file chosen again: it resumes, it does not restart.
  await page.unroute('**/files/**');
  await page.reload();
  await page.setInputFiles('#upload-file', file);
  await page.fill('#upload-name', 'Big resumable clip');
  await Promise.all([
    page.waitForURL('**/userhome?uploaded=*', { timeout: 240_000 }),
    page.click('#upload-submit'),
  ]);
  expect(creations).toHaveLength(1);
  expect(headOffsets.length).toBeGreaterThan(0);
  expect(headOffsets[0]).toBeGreaterThan(0);
  expect(headOffsets[0]).toBeLessThan(SIZE);
  await page.screenshot({ path: join(ARTIFACTS, '21-upload-resumed.png'), fullPage: true });

  const vid = new URL(page.url()).searchParams.get('uploaded')!;
  expect(await page.locator(`.video-item[data-vid="${vid}"]`).count()).toBe(1);
  expect(await page.locator('.video-item').count()).toBe(1);
  await expectServed(page, web, vid, SIZE, digest);
}, 360_000);

it('cancels an upload in flight: the tus upload is terminated and the record removed', async () => {
  const web = server!.urls.web!;
  const page = await context!.newPage();
  let location = '';
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && new URL(r.url()).pathname === '/files/') {
      location = r.headers().location ?? '';
    }
  });
  // Hold the first chunk until the test has pressed Cancel, so the upload is surely in flight.
  let release: () => void = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  await page.route('**/files/**', async (route) => {
    if (route.request().method() === 'PATCH') await held;
    await route.continue().catch(() => {});
  });
  await page.goto(`${web}/userhome`);
  const before = await page.locator('.video-item').count();
  await page.setInputFiles('#upload-file', file);
  await page.fill('#upload-name', 'Cancelled clip');
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/files/')),
    page.click('#upload-submit'),
  ]);
  await page.click('#upload-cancel');
  release();
  await page.waitForSelector('#upload-status:text("Upload cancelled.")');
  expect(location).toMatch(/\/files\/.+/);
  const head = await page.request.fetch(new URL(location, web).href, {
    method: 'HEAD',
    headers: { 'Tus-Resumable': '1.0.0' },
  });
  expect(head.status()).toBe(404);
  await page.reload();
  expect(await page.locator('.video-item').count()).toBe(before);
}, 120_000);
