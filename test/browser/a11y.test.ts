/**
 * Every page, anonymous and signed in, in real Chromium: axe-core finds no serious or critical
 * violation at desktop (1280 px) and phone (390 px) widths, and nothing scrolls sideways at 320
 * and 390 px — with a title of the maximum length (120 characters) and with a single
 * 60-character word in a title, a description and a comment. Screenshots of each page and width
 * go to test-artifacts/browser/a11y/.
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
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
const FIXTURE = `${root}test/fixtures/sample.webm`;
const ARTIFACTS = `${root}test-artifacts/browser/a11y`;
const WORD = 'Pneumonoultramicroscopicsilicovolcanoconiosisxylophonequartz'; // 60 letters
const LONG_TITLE =
  'A very long title that goes on and on about harbours, sunsets, test patterns, seeking, '
    .padEnd(120, 'x')
    .slice(0, 120);

let server: TestServer | undefined;
let browser: Browser | undefined;
let web: string;
let alice: SiteUser;
let long: SeededVideo;
let word: SeededVideo;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  expect(WORD).toHaveLength(60);
  expect(LONG_TITLE).toHaveLength(120);
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchBrowser();
  server = await startTestServer();
  web = server.urls.web!;
  alice = await registerUser(web, `alice_${Date.now().toString(36)}`);
  long = await uploadVideo(web, alice, FIXTURE, { name: LONG_TITLE, description: 'Plain words.' });
  word = await uploadVideo(web, alice, FIXTURE, {
    name: `The ${WORD} clip`,
    description: `${WORD} ${WORD}`,
  });
  await uploadVideo(web, alice, FIXTURE, { name: 'Kept to myself', visibility: 'private' });
  const res = await relay(
    web,
    `/videos/${word.id}/comments`,
    'POST',
    {
      author_id: alice.id,
      content: `${WORD}!`,
    },
    alice.cookie,
  );
  expect(res.status).toBe(201);
});
afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  const code = await server?.stop();
  expect(code).toBe(0);
});

interface Finding {
  page: string;
  width: number;
  problem: string;
}

/** [screenshot name, path, a selector the page must show (the long titles are really there)]. */
type PageCase = [string, string, string?];

async function audit(user: SiteUser | undefined, pages: PageCase[]) {
  const context = await contextFor(browser!, web, user);
  contexts.push(context);
  const page = await context.newPage();
  const findings: Finding[] = [];
  for (const [name, path, mustShow] of pages) {
    for (const width of [1280, 390, 320]) {
      await page.setViewportSize({ width, height: width > 800 ? 800 : 844 });
      await page.goto(`${web}${path}`, { waitUntil: 'load' });
      await page.screenshot({ path: join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
      if (mustShow && (await page.locator(mustShow).count()) === 0) {
        findings.push({ page: path, width, problem: `${mustShow} is not on the page` });
      }
      if (width <= 390) {
        const overflow = (await page.evaluate(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        )) as number;
        if (overflow > 0) findings.push({ page: path, width, problem: `${overflow}px sideways` });
      }
      if (width === 320) continue;
      const result = await new AxeBuilder({ page }).analyze();
      for (const v of result.violations) {
        if (v.impact !== 'serious' && v.impact !== 'critical') continue;
        const where = v.nodes.map((n) => n.target.join(' ')).join(', ');
        findings.push({ page: path, width, problem: `${v.impact} ${v.id}: ${where}` });
      }
    }
  }
  return findings;
}

it('anonymous pages: no serious axe violations, no sideways scrolling', async () => {
  const findings = await audit(undefined, [
    ['browse', '/', `a[href="/v/${long.id}"]`],
    ['watch-long', `/v/${long.id}`, 'h1.watch-title'],
    ['watch-word', `/v/${word.id}`, '.comment-body'],
    ['channel', `/u/${alice.name}`, `a[href="/v/${word.id}"]`],
    ['search', `/search?q=${WORD}`, `a[href="/v/${word.id}"]`],
    ['search-empty', '/search'],
    ['login', '/login'],
    ['not-found', '/no/such/page'],
  ]);
  expect(findings).toEqual([]);
}, 300_000);

it('signed-in pages: no serious axe violations, no sideways scrolling', async () => {
  const findings = await audit(alice, [
    ['userhome', '/userhome', `.video-item[data-vid="${long.id}"]`],
    ['watch-signed-in', `/v/${word.id}`, '#comment-text'],
    ['browse-signed-in', '/', `a[href="/v/${word.id}"]`],
  ]);
  expect(findings).toEqual([]);
}, 300_000);
