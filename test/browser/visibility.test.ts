/**
 * Discovery and visibility in a real browser against the real `video-server start`: anonymous
 * browse shows a public video's poster, title and duration; its watch page plays and seeks over
 * HTTP ranges; the copied link opens the same page for another user; search finds it. A private
 * video is absent from browse, search and the owner's channel, and its page, bytes and poster
 * are 404 for another user and for anonymous visitors, while its owner can play it. An unlisted
 * video plays for anyone with the link but is listed nowhere.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { launchBrowser } from './browser.js';
import { playMuted, seekTo } from './player.js';
import { contextFor, registerUser, type SeededVideo, type SiteUser, uploadVideo } from './seed.js';

// biome-ignore lint/suspicious/noExplicitAny: page-side predicates; the project has no DOM typings
declare const document: any;

const root = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = `${root}test/fixtures/sample.webm`;
const ARTIFACTS = `${root}test-artifacts/browser`;
const run = Date.now().toString(36);

let server: TestServer | undefined;
let browser: Browser | undefined;
let web: string;
let alice: SiteUser;
let bob: SiteUser;
let pub: SeededVideo;
let priv: SeededVideo;
let unlisted: SeededVideo;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchBrowser();
  server = await startTestServer();
  web = server.urls.web!;
  alice = await registerUser(web, `alice_${run}`);
  bob = await registerUser(web, `bob_${run}`);
  pub = await uploadVideo(web, alice, FIXTURE, {
    name: 'Sunset over the harbour',
    description: 'A calm evening test pattern by the water.',
  });
  priv = await uploadVideo(web, alice, FIXTURE, {
    name: 'Private harbour diary',
    description: 'Nobody else should find this harbour.',
    visibility: 'private',
  });
  unlisted = await uploadVideo(web, alice, FIXTURE, {
    name: 'Unlisted harbour outtake',
    visibility: 'unlisted',
  });
});
afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  const code = await server?.stop();
  expect(code).toBe(0);
});

async function open(user?: SiteUser, permissions: string[] = []): Promise<Page> {
  const context = await contextFor(browser!, web, user);
  contexts.push(context);
  if (permissions.length) await context.grantPermissions(permissions, { origin: web });
  return context.newPage();
}

const linkTo = (v: SeededVideo) => `a[href="/v/${v.id}"]`;

describe('a public video', () => {
  it('is on anonymous browse with poster, title and duration; plays, seeks; link and search', async () => {
    const page = await open(undefined, ['clipboard-read', 'clipboard-write']);
    await page.goto(`${web}/`);
    const card = page.locator('.vcard', { has: page.locator(linkTo(pub)) });
    expect((await card.locator('.vcard-title').textContent())?.trim()).toBe(pub.name);
    expect(await card.locator('.duration [aria-hidden]').textContent()).toMatch(/^0:0[1-9]$/);
    await page.waitForFunction((id: string) => {
      const img = document.querySelector(`a[href="/v/${id}"] img`);
      return img?.complete && img.naturalWidth > 0;
    }, pub.id);
    await page.screenshot({ path: join(ARTIFACTS, '10-browse-anonymous.png'), fullPage: true });

    // The watch page plays and seeks; every media response is a 206 range.
    const media: Array<{ status: number; range?: string }> = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === `/videos/${pub.id}`) {
        media.push({ status: r.status(), range: r.request().headers().range });
      }
    });
    await Promise.all([page.waitForURL(`**/v/${pub.id}`), card.locator('a.vcard-link').click()]);
    expect((await page.textContent('h1'))?.trim()).toBe(pub.name);
    expect(await page.textContent('.description')).toContain('calm evening');
    expect(await page.getAttribute('#player', 'poster')).toBe(`/posters/${pub.id}`);
    await playMuted(page);
    expect(await seekTo(page, 2.5)).toBeGreaterThanOrEqual(2.4);
    expect(media.length).toBeGreaterThan(0);
    for (const m of media)
      expect(m).toEqual({ status: 206, range: expect.stringMatching(/^bytes=/) });
    const mid =
      await page.evaluate(`fetch('/videos/${pub.id}', { headers: { Range: 'bytes=1000-1999' } })
      .then(async (r) => [r.status, (await r.arrayBuffer()).byteLength])`);
    expect(mid).toEqual([206, 1000]);
    await page.screenshot({ path: join(ARTIFACTS, '11-watch-anonymous.png'), fullPage: true });

    // Copy link → another user opens the same page (a refresh keeps it too).
    await page.click('#copy-link');
    await page.waitForSelector('#copy-status:text("Link copied")');
    const copied = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(copied).toBe(`${web}/v/${pub.id}`);
    const other = await open(bob);
    expect((await other.goto(copied))?.status()).toBe(200);
    expect((await other.textContent('h1'))?.trim()).toBe(pub.name);
    await other.reload();
    expect((await other.textContent('h1'))?.trim()).toBe(pub.name);

    // Search from the header.
    await page.fill('#search-q', 'harbour');
    await Promise.all([page.waitForURL('**/search?q=harbour'), page.press('#search-q', 'Enter')]);
    await page.locator(linkTo(pub)).first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, '12-search.png'), fullPage: true });
  }, 120_000);
});

describe('private and unlisted videos', () => {
  it('are listed nowhere; private is 404 to others and plays for its owner', async () => {
    for (const who of [undefined, bob]) {
      const page = await open(who);
      for (const path of ['/', '/search?q=harbour', `/u/${alice.name}`]) {
        await page.goto(`${web}${path}`);
        await page.locator(linkTo(pub)).first().waitFor();
        expect(await page.locator(linkTo(priv)).count(), path).toBe(0);
        expect(await page.locator(linkTo(unlisted)).count(), path).toBe(0);
      }
      const watch = await page.goto(`${web}/v/${priv.id}`);
      expect(watch?.status()).toBe(404);
      expect(watch?.headers()['content-type']).toMatch(/^text\/html/);
      expect(await page.textContent('h1')).toMatch(/not found/i);
      expect(await page.textContent('main')).not.toContain(priv.name);
      if (who) await page.screenshot({ path: join(ARTIFACTS, '13-private-404.png') });
      for (const path of [`/videos/${priv.id}`, `/posters/${priv.id}`]) {
        expect((await page.request.get(`${web}${path}`)).status(), path).toBe(404);
      }
      expect((await page.goto(`${web}/v/${unlisted.id}`))?.status()).toBe(200);
      expect((await page.textContent('h1'))?.trim()).toBe(unlisted.name);
    }

    const owner = await open(alice);
    expect((await owner.goto(`${web}/v/${priv.id}`))?.status()).toBe(200);
    expect((await owner.textContent('h1'))?.trim()).toBe(priv.name);
    expect(await owner.textContent('.watch-bar')).toContain('Private');
    await playMuted(owner);
    expect((await owner.request.get(`${web}/posters/${priv.id}`)).status()).toBe(200);
    await owner.goto(`${web}/userhome`);
    await owner.locator(`.video-item[data-vid="${priv.id}"]`).waitFor();
  }, 120_000);
});
