/**
 * The site in a real browser against the real `video-server start` (all four services, one
 * process tree, embedded storage on a temp DATA_DIR): see site-flow.ts for the steps.
 * Screenshots land in test-artifacts/browser/.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { launchChromium } from './browser.js';
import { siteFlow } from './site-flow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let server: TestServer | undefined;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  server = await startTestServer();
});
afterAll(async () => {
  await browser?.close();
  const code = await server?.stop();
  expect(code).toBe(0);
});

it('register → sign in → upload → watch → play → seek → comment → edit → delete → log out', async () => {
  const report = await siteFlow(browser!.context, {
    webUrl: server!.urls.web!,
    dataDir: server!.dataDir,
    fixture: `${root}test/fixtures/sample.webm`,
    artifacts: `${root}test-artifacts/browser`,
    expectFileRemoved: true,
  });
  expect(report.maxProgress).toBe(100);
  expect(report.mediaResponses.every((m) => m.status === 206)).toBe(true);
}, 120_000);
