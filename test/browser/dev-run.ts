/**
 * Dev helper (not a test): runs the browser flow against web + api + stream in this process
 * (no scheduler, so the file-removal check is off). `npx tsx test/browser/dev-run.ts`.
 */
import { fileURLToPath } from 'node:url';
import { mountWeb } from '../../src/http/web/index.js';
import { startApp } from '../api/harness.js';
import { launchChromium } from './browser.js';
import { siteFlow } from './site-flow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const app = await startApp([mountWeb], { only: ['web', 'api', 'stream'] });
const browser = await launchChromium();
try {
  const report = await siteFlow(browser.context, {
    webUrl: app.url,
    dataDir: app.ctx.config.dataDir,
    fixture: `${root}test/fixtures/sample.webm`,
    artifacts: `${root}test-artifacts/dev`,
    expectFileRemoved: false,
  });
  console.log(JSON.stringify(report, null, 1));
} finally {
  await browser.close();
  await app.stop();
}
