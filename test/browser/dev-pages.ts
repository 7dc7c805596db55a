/**
 * Dev helper (not a test): renders every page against a fake api that answers the issue-12
 * contract with canned data, and screenshots them at 1280 and 390 px into test-artifacts/dev-pages.
 * For looking at the design without a full server: `npx tsx test/browser/dev-pages.ts`.
 */

import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { mountWeb } from '../../src/http/web/index.js';
import { startApp } from '../api/harness.js';
import { launchBrowser } from './browser.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = `${root}test-artifacts/dev-pages`;
const WORD = 'Pneumonoultramicroscopicsilicovolcanoconiosisxylophonequartz';
const video = (i: number, extra: Record<string, unknown> = {}) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  name: [
    `Sunset over the harbour ${i}`,
    `The ${WORD} clip`,
    'A very long title that goes on and on about harbours, sunsets, test patterns, seeking and other things we like',
  ][i % 3],
  description: 'A calm evening by the water.\nSecond line.',
  owner: i % 2 ? 'alice' : 'bob_the_builder',
  author_id: 'a',
  created: new Date(Date.UTC(2026, 10, 30 - i)).toISOString(),
  display_ctime: '',
  duration_ms: 3000 + i * 61_000,
  width: 640,
  height: 360,
  visibility: 'public',
  poster_url: null,
  ready: true,
  ...extra,
});
const list = { videos: Array.from({ length: 9 }, (_, i) => video(i)), next: 'abc' };
const fake = createServer((req, res) => {
  const url = new URL(req.url!, 'http://x');
  const p = url.pathname;
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (p === '/session') {
    if (req.headers['x-session-id'] === 'alice') {
      return send(200, { user_id: 'a', user_name: 'alice', expires_at: Date.now() + 1e6 });
    }
    return send(401, { error: 'no', error_code: '002' });
  }
  if (p === '/videos' || p === '/search' || /^\/users\/[^/]+\/videos$/.test(p))
    return send(200, list);
  if (/^\/user\/[^/]+\/videos$/.test(p)) {
    return send(200, {
      videos: [
        video(1),
        video(2, { visibility: 'private', ready: false }),
        video(3, { visibility: 'unlisted' }),
      ],
    });
  }
  if (/^\/videos\/[^/]+\/comments$/.test(p)) {
    return send(200, {
      comments: [
        {
          id: 'c',
          author: 'bob_the_builder',
          content: `Nice! ${WORD}`,
          display_ctime: '',
          ctime: Date.now(),
        },
      ],
    });
  }
  if (/^\/videos\/[^/]+$/.test(p)) return send(200, video(2, { visibility: 'unlisted' }));
  send(404, { error: 'Not found', error_code: '005' });
});
await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
const fakeUrl = `http://127.0.0.1:${(fake.address() as { port: number }).port}`;
const app = await startApp([mountWeb], { only: ['web'], apiUrl: fakeUrl, streamUrl: fakeUrl });
const browser = await launchBrowser();
await mkdir(out, { recursive: true });
try {
  for (const signedIn of [false, true]) {
    const context = await browser.newContext();
    if (signedIn) await context.addCookies([{ name: 'vs_sid', value: 'alice', url: app.url }]);
    const page = await context.newPage();
    const pages = signedIn
      ? { userhome: '/userhome', watchin: `/v/${video(2).id}` }
      : {
          browse: '/',
          watch: `/v/${video(2).id}`,
          channel: '/u/alice',
          search: '/search?q=harbour',
          login: '/login',
          missing: '/nope',
        };
    for (const [name, path] of Object.entries(pages)) {
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 800 });
        await page.goto(app.url + path);
        await page.screenshot({ path: `${out}/${name}-${width}.png`, fullPage: true });
        const overflow = await page.evaluate('document.documentElement.scrollWidth - innerWidth');
        const axe = await new AxeBuilder({ page }).analyze();
        const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        console.log(
          name,
          width,
          'overflow',
          overflow,
          bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        );
      }
    }
    await context.close();
  }
} finally {
  await browser.close();
  await app.stop();
  fake.close();
}
