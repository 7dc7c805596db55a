/**
 * A session that ends while a page is open (here: revoked server-side from elsewhere, which the
 * page sees exactly as an expiry — the api answers 401): posting the typed comment keeps it in
 * the box, the page says why the visitor was signed out and links to the sign-in page, which
 * says it too; after signing in again the visitor is back on the video with the comment still
 * typed, and posting it works.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { launchBrowser } from './browser.js';
import {
  contextFor,
  registerUser,
  relay,
  type SeededVideo,
  type SiteUser,
  uploadVideo,
} from './seed.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = `${root}test-artifacts/browser`;
const COMMENT = 'A thoughtful comment that took a while to type.';

let server: TestServer | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let web: string;
let carol: SiteUser;
let video: SeededVideo;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchBrowser();
  server = await startTestServer();
  web = server.urls.web!;
  carol = await registerUser(web, `carol_${Date.now().toString(36)}`);
  video = await uploadVideo(web, carol, `${root}test/fixtures/sample.webm`, { name: 'Talk' });
  context = await contextFor(browser, web, carol);
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  const code = await server?.stop();
  expect(code).toBe(0);
});

it('keeps the typed comment and says why when the session has ended', async () => {
  const page = await context!.newPage();
  await page.goto(`${web}/v/${video.id}`);
  await page.fill('#comment-text', COMMENT);

  // The session ends behind the page's back.
  const out = await relay(web, `/user/${carol.name}/sessions`, 'DELETE', undefined, carol.cookie);
  expect(out.status).toBe(204);

  await page.click('#comment-form button[type=submit]');
  await page.waitForSelector('#comment-error:not([hidden])');
  expect(await page.textContent('#comment-error')).toMatch(/session has expired.*signed out/i);
  expect(await page.inputValue('#comment-text')).toBe(COMMENT);
  expect(await page.textContent('#comment-count')).toBe('0');
  await page.screenshot({ path: join(ARTIFACTS, '30-session-expired.png'), fullPage: true });

  await Promise.all([page.waitForURL('**/login?*'), page.click('#comment-error a')]);
  expect(await page.textContent('#auth-error')).toMatch(/session expired/i);
  await page.fill('#signin-form input[name=user_name]', carol.name);
  await page.fill('#signin-form input[name=pwd]', 'a long passphrase');
  await Promise.all([
    page.waitForURL(`**/v/${video.id}`),
    page.click('#signin-form button[type=submit]'),
  ]);
  expect(await page.inputValue('#comment-text')).toBe(COMMENT);
  await page.click('#comment-form button[type=submit]');
  await page.waitForSelector('#comment-count:text("1")');
  expect(await page.textContent('#comment-list')).toContain(COMMENT);
  expect(await page.inputValue('#comment-text')).toBe('');
}, 120_000);
