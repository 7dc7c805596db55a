/**
 * The whole visit, as a person would make it: the sign-in page → register → log out (back to
 * browse) → sign in → upload on /userhome with the progress bar reaching 100% → the video is
 * listed → open its watch page from the keyboard (the row's title is a link) → play
 * (currentTime advances) → seek (the media requests are HTTP ranges answered 206 by the stream
 * service) → comment → edit title, description and visibility → delete on /userhome (gone from the list; the scheduler later removes the
 * file) → log out. Screenshots of each page go to `artifacts`. Page code runs as strings: the
 * project compiles without DOM typings.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { playMuted, seekTo } from './player.js';

export interface FlowOptions {
  webUrl: string;
  /** The server's DATA_DIR: used to see the scheduler remove the video file. */
  dataDir: string;
  fixture: string;
  artifacts: string;
  /** Wait for the scheduler to delete the file (false when no scheduler runs). */
  expectFileRemoved: boolean;
}

export interface FlowReport {
  vid: string;
  maxProgress: number;
  mediaResponses: Array<{
    status: number;
    range: string | undefined;
    contentRange: string | undefined;
  }>;
}

/** Just what the predicates below touch (the project has no DOM typings). */
interface PageElement {
  open: boolean;
  currentTime: number;
  textContent: string | null;
}
declare const document: { getElementById(id: string): PageElement };

const USER = `user_${Date.now().toString(36)}`;
const PASSWORD = 'a long passphrase';

async function shot(page: Page, dir: string, name: string): Promise<void> {
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

async function sessionCookie(context: BrowserContext, url: string) {
  return (await context.cookies(url)).find((c) => c.name === 'vs_sid');
}

async function untilGone(path: string, deadlineMs: number): Promise<void> {
  // The scheduler runs in another process on its own ticker: poll the filesystem with a deadline.
  const end = Date.now() + deadlineMs;
  while (existsSync(path)) {
    if (Date.now() > end)
      throw new Error(`the scheduler did not remove ${path} in ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function siteFlow(context: BrowserContext, o: FlowOptions): Promise<FlowReport> {
  await mkdir(o.artifacts, { recursive: true });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const media: FlowReport['mediaResponses'] = [];
  page.on('response', (r: Response) => {
    if (!new URL(r.url()).pathname.startsWith('/videos/')) return;
    media.push({
      status: r.status(),
      range: r.request().headers().range,
      contentRange: r.headers()['content-range'],
    });
  });

  // The sign-in page, then register.
  await page.goto(`${o.webUrl}/login`);
  await shot(page, o.artifacts, '01-login');
  // The forms are ARIA tabs: arrow keys move the selection and the focus.
  await page.focus('#tab-signin');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('#tab-register', 'aria-selected'), 'true');
  assert.equal(await page.evaluate('document.activeElement.id'), 'tab-register');
  assert.equal(await page.isVisible('#register-form'), true);
  assert.equal(await page.isVisible('#signin-form'), false);
  await page.fill('#register-form input[name=user_name]', USER);
  await page.fill('#register-form input[name=pwd]', PASSWORD);
  await Promise.all([
    page.waitForURL('**/userhome'),
    page.click('#register-form button[type=submit]'),
  ]);
  const cookie = await sessionCookie(context, o.webUrl);
  assert.ok(cookie, 'the session cookie is set on register');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(await page.evaluate('document.cookie.includes("vs_sid")'), false);
  await page.waitForSelector('#video-empty:not([hidden])');
  await shot(page, o.artifacts, '02-userhome-empty');

  // Log out (back to browse) and sign in again from the header's link.
  await Promise.all([page.waitForURL(`${o.webUrl}/`), page.click('#logout')]);
  assert.equal(await sessionCookie(context, o.webUrl), undefined, 'logout clears the cookie');
  await Promise.all([page.waitForURL('**/login'), page.click('#signin-link')]);
  await page.fill('#signin-form input[name=user_name]', USER);
  await page.fill('#signin-form input[name=pwd]', 'wrong password!');
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#auth-error:not([hidden])');
  assert.match((await page.textContent('#auth-error')) ?? '', /wrong user name or password/i);
  await shot(page, o.artifacts, '03-login-error');
  await page.fill('#signin-form input[name=pwd]', PASSWORD);
  await Promise.all([
    page.waitForURL('**/userhome'),
    page.click('#signin-form button[type=submit]'),
  ]);
  assert.equal(await page.textContent('#user-name'), USER);

  // Upload with progress; the page reloads /userhome with the new row.
  const progress: number[] = [];
  await page.exposeFunction('reportProgress', (v: number) => progress.push(v));
  await page.setInputFiles('#upload-file', o.fixture);
  await page.fill('#upload-name', 'Test pattern');
  await page.evaluate(`(() => {
    const bar = document.getElementById('upload-bar');
    new MutationObserver(() => window.reportProgress(Number(bar.getAttribute('aria-valuenow'))))
      .observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
  })()`);
  await Promise.all([page.waitForURL('**/userhome?uploaded=*'), page.click('#upload-submit')]);
  const maxProgress = Math.max(0, ...progress);
  assert.equal(maxProgress, 100, `progress reached ${maxProgress}%`);
  const item = await page.waitForSelector('.video-item.is-new');
  const vid = (await item.getAttribute('data-vid'))!;
  assert.match(vid, /^[0-9a-f-]{36}$/);
  assert.equal(
    (await page.textContent(`.video-item[data-vid="${vid}"] a.name`))?.trim(),
    'Test pattern',
  );
  await shot(page, o.artifacts, '04-userhome-uploaded');

  // The row is operable from the keyboard: its title is a link to the watch page.
  await page.focus(`.video-item[data-vid="${vid}"] a.name`);
  await Promise.all([page.waitForURL(`**/v/${vid}`), page.keyboard.press('Enter')]);
  assert.equal((await page.textContent('h1.watch-title'))?.trim(), 'Test pattern');

  // Play: currentTime advances.
  await playMuted(page);

  // Seek near the end: the player lands there and keeps playing.
  const seekedAt = await seekTo(page, 2.5);
  assert.ok(seekedAt >= 2.4, `seeked to ${seekedAt}`);
  await page.waitForFunction(() => document.getElementById('player').currentTime > 2.7);
  assert.ok(media.length > 0, 'the player fetched the video');
  for (const m of media) {
    assert.ok(m.range?.startsWith('bytes='), `media request without Range: ${JSON.stringify(m)}`);
    assert.equal(m.status, 206, `media response ${JSON.stringify(m)}`);
    assert.match(m.contentRange ?? '', /^bytes \d+-\d+\/\d+$/);
  }

  // Chromium buffers a file this small whole on the first request (`bytes=0-`), so a seek may be
  // served from its cache; a mid-file range like the one a player sends to seek into unbuffered
  // data is checked explicitly, from the page, through the web origin.
  const mid =
    (await page.evaluate(`fetch('/videos/${vid}', { headers: { Range: 'bytes=100000-100999' } })
    .then(async (r) => ({ status: r.status, range: r.headers.get('content-range'), size: (await r.arrayBuffer()).byteLength }))`)) as {
      status: number;
      range: string;
      size: number;
    };
  assert.deepEqual(mid, { status: 206, range: mid.range, size: 1000 });
  assert.match(mid.range, /^bytes 100000-100999\/\d+$/);

  // Comment.
  // Markup in user text stays text (the page never puts user input into innerHTML).
  // An empty post shows an error; the next success clears it (no stale banner).
  await page.click('#comment-form button[type=submit]');
  await page.waitForSelector('#comment-error:not([hidden])');
  await page.fill('#comment-text', 'Great test pattern! <b>not bold</b>');
  await page.click('#comment-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('comment-count').textContent === '1');
  assert.match(
    (await page.textContent('#comment-list')) ?? '',
    new RegExp(`${USER}[\\s\\S]*Great test pattern! <b>not bold</b>`),
  );
  assert.equal(await page.locator('#comment-list b').count(), 0);
  assert.equal(await page.isVisible('#comment-error'), false, 'the earlier error is gone');
  // The comment the page drew reads as the server draws it on the next visit (author, date).
  const drawn = await page.textContent('#comment-list .comment-head');
  await page.reload();
  assert.equal(await page.textContent('#comment-list .comment-head'), drawn);
  assert.match(drawn ?? '', /[A-Z][a-z]{2} \d{1,2}, \d{4}$/);
  await shot(page, o.artifacts, '05-watch-playing');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, o.artifacts, '05b-watch-phone');
  await page.setViewportSize({ width: 1280, height: 800 });

  // Edit details on /userhome: title, description, visibility; the row updates and it persists.
  await page.goto(`${o.webUrl}/userhome`);
  const row = `.video-item[data-vid="${vid}"]`;
  await page.click(`${row} summary`);
  await page.fill(`${row} .edit-form input[name=name]`, 'Test pattern (edited)');
  await page.fill(`${row} .edit-form textarea[name=description]`, 'Colour bars and a tone.');
  await page.selectOption(`${row} .edit-form select[name=visibility]`, 'unlisted');
  await page.click(`${row} .edit-form button[type=submit]`);
  await page.waitForSelector('#page-error.is-ok:not([hidden])');
  assert.equal((await page.textContent(`${row} a.name`))?.trim(), 'Test pattern (edited)');
  assert.equal((await page.textContent(`${row} .when .badge`))?.trim(), 'Unlisted');
  await shot(page, o.artifacts, '05c-userhome-edited');
  await page.goto(`${o.webUrl}/v/${vid}`);
  assert.equal((await page.textContent('h1.watch-title'))?.trim(), 'Test pattern (edited)');
  assert.equal((await page.textContent('.description'))?.trim(), 'Colour bars and a tone.');
  assert.match((await page.textContent('.watch-bar')) ?? '', /Unlisted/);

  // Delete on /userhome: two clicks (arm, confirm); the list empties and the file goes later.
  await page.goto(`${o.webUrl}/userhome`);
  await page.click(`.video-item[data-vid="${vid}"] .btn-danger`);
  await page.click(`.video-item[data-vid="${vid}"] .btn-danger.is-armed`);
  await page.waitForSelector('#video-empty:not([hidden])');
  assert.equal(await page.locator('.video-item').count(), 0);
  await shot(page, o.artifacts, '06-userhome-after-delete');
  if (o.expectFileRemoved) await untilGone(join(o.dataDir, 'videos', vid), 30_000);

  // Log out: back to browse, cookie gone, /userhome sends to the sign-in page.
  await Promise.all([page.waitForURL(`${o.webUrl}/`), page.click('#logout')]);
  assert.equal(await sessionCookie(context, o.webUrl), undefined);
  await page.goto(`${o.webUrl}/userhome`);
  assert.equal(new URL(page.url()).pathname, '/login');
  await shot(page, o.artifacts, '07-login-after-logout');

  assert.deepEqual(pageErrors, [], 'no script errors on the pages');
  await page.close();
  return { vid, maxProgress, mediaResponses: media };
}
