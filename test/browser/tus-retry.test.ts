/**
 * A connection that drops mid-PATCH, in real Chromium, with no reload: the page's tus-js-client
 * retries on its own (upload.js's delays) and the upload completes from the server's offset.
 *
 * The fault is at the network level, in a TCP proxy between the browser and the web origin (the
 * page is loaded through it): in the second PATCH, after 1 MB of its body, the proxy resets the
 * browser's side and black-holes the server's side — it stays open, silent, as after a real
 * network drop, so the server's write keeps its upload lease (refreshed by the heartbeat) until
 * it notices (uWS's idle timeout, 10 s). The retry lands on either of the server's two HTTP
 * threads: on the same one @tus/server cancels the stalled request; on the other the lease
 * answers 423 Locked (Retry-After) until the stalled write ends — the page's retries cover both.
 * The proxy adds `Connection: close` to every response, so each request has a connection of its
 * own: Chromium resends a request on its own, unseen by the page, when a connection it reused dies
 * before the response, and a run where it did so retried nothing in tus-js-client (no HEAD).
 * Checked: one creation, a HEAD after the cut reporting an offset > 0, no error shown, and the
 * bytes served are exactly the file's.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { launchBrowser } from './browser.js';
import { contextFor, registerUser, type SiteUser } from './seed.js';
import { bigWebm, expectServed, watchTus } from './tus-page.js';

const SIZE = 20 * 1000 * 1000;
const CUT_AFTER = 1024 * 1024;

let server: TestServer | undefined;
let proxy: Server | undefined;
let proxyUrl = '';
const held: Socket[] = [];
let cut = false;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let dir: string | undefined;
let user: SiteUser;
let file: string;
let digest: string;

const CLOSE = Buffer.from('Connection: close\r\n');

/**
 * Forwards every connection to `port`, one request each (`Connection: close` added after the
 * response's status line); cuts the second PATCH once (see the header).
 */
function startProxy(port: number): Promise<string> {
  let patches = 0;
  proxy = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    let counting = -1; // body bytes of the PATCH to cut seen so far; -1: not that PATCH
    let head: Buffer | undefined = Buffer.alloc(0); // the response's start until its status line
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('data', (d: Buffer) => {
      if (!head) return client.write(d);
      head = Buffer.concat([head, d]);
      const eol = head.indexOf('\r\n');
      if (eol < 0) return;
      client.write(Buffer.concat([head.subarray(0, eol + 2), CLOSE, head.subarray(eol + 2)]));
      head = undefined;
    });
    upstream.on('end', () => client.end());
    client.on('end', () => upstream.end());
    client.on('data', (d: Buffer) => {
      if (cut && counting >= 0) return; // the black hole: nothing more reaches the server
      if (!cut && d.includes('PATCH /files/') && ++patches === 2) counting = 0;
      if (counting >= 0) {
        counting += d.length;
        if (counting > CUT_AFTER) {
          cut = true;
          held.push(upstream); // left open and silent until the server drops it
          upstream.removeAllListeners('data');
          client.resetAndDestroy();
          return;
        }
      }
      upstream.write(d);
    });
  });
  return new Promise((resolve) => {
    proxy!.listen(0, '127.0.0.1', () => {
      const addr = proxy!.address() as { port: number };
      resolve(`http://127.0.0.1:${addr.port}`);
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vs-tus-retry-'));
  file = join(dir, 'dropped-clip.webm');
  digest = createHash('sha256')
    .update(await bigWebm(file, SIZE))
    .digest('hex');
  browser = await launchBrowser();
  server = await startTestServer({ env: { HTTP_THREADS: '2' } });
  proxyUrl = await startProxy(Number(new URL(server.urls.web!).port));
  user = await registerUser(server.urls.web!, `tusr_${Date.now().toString(36)}`);
  context = await contextFor(browser, proxyUrl, user);
}, 180_000);
afterAll(async () => {
  await context?.close();
  await browser?.close();
  for (const s of held) s.destroy();
  await new Promise((r) => (proxy ? proxy.close(r) : r(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
  const code = await server?.stop();
  expect(code).toBe(0);
});

it('a connection dropped mid-PATCH: tus-js-client retries and completes it, no reload', async () => {
  const page = await context!.newPage();
  const { creations, headOffsets, patches } = watchTus(page);
  await page.goto(`${proxyUrl}/userhome`);
  await page.setInputFiles('#upload-file', file);
  await page.fill('#upload-name', 'Dropped connection clip');
  await Promise.all([
    page.waitForURL('**/userhome?uploaded=*', { timeout: 240_000 }),
    page.click('#upload-submit'),
  ]);
  expect(cut).toBe(true);
  expect(await page.locator('#page-error:not([hidden])').count()).toBe(0);
  expect(creations).toHaveLength(1);
  expect(headOffsets.length).toBeGreaterThan(0);
  expect(headOffsets[0]).toBeGreaterThan(0);
  expect(headOffsets[0]).toBeLessThan(SIZE);
  expect(
    patches.every((s) => [204, 409, 423].includes(s)),
    String(patches),
  ).toBe(true);

  const vid = new URL(page.url()).searchParams.get('uploaded')!;
  await expectServed(page, proxyUrl, vid, SIZE, digest);
}, 300_000);
