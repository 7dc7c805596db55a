/**
 * Issue 14, health: `/health/live` and `/health/ready` on every service port; ready is 503 while
 * the MongoDB-wire dev server is down (SIGKILL) and 200 once it is back; on SIGTERM ready turns
 * 503 while an in-flight download still finishes whole.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/server.js';
import { type DevMongo, startDevMongo } from '../setup/mongo-dev-server.js';
import { freePort } from './prom.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function health(base: string, which: 'live' | 'ready', agent?: Agent) {
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    httpGet(`${base}/health/${which}`, { agent }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

/** Asks until `want` (each ask is bounded by the server's own 2 s store check). */
async function readyBecomes(base: string, want: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await health(base, 'ready');
    if (r.status === want) return r;
    if (Date.now() > deadline)
      throw new Error(`ready stayed ${r.status}: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

describe('health', () => {
  it('every service answers live and ready with JSON detail', { timeout: 120_000 }, async () => {
    const s = await startTestServer({ env: { HTTP_THREADS: '2' } });
    cleanups.push(() => s.stop());
    for (const [service, url] of Object.entries(s.urls)) {
      const live = await health(url, 'live');
      expect(live).toMatchObject({ status: 200, body: { status: 'live', service, stale: [] } });
      const ready = await health(url, 'ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({
        status: 'ready',
        service,
        draining: false,
        checks: { records: { ok: true }, blobs: { ok: true } },
      });
    }
  });

  it('ready is 503 while the MongoDB-wire server is down and 200 when it is back', {
    timeout: 300_000,
  }, async () => {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'ops-mongo-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    let mongo: DevMongo = await startDevMongo({ port, dir });
    cleanups.push(() => mongo.stop());
    const s = await startTestServer({
      only: 'api',
      env: { MONGODB_URI: `${mongo.uri}ops-health` },
    });
    cleanups.push(() => s.stop());
    const api = s.urls.api!;
    expect((await health(api, 'ready')).status).toBe(200);

    await mongo.kill();
    const down = await readyBecomes(api, 503, 60_000);
    expect(down.body).toMatchObject({ status: 'not ready', checks: { records: { ok: false } } });
    // Still alive: only readiness depends on the stores.
    expect((await health(api, 'live')).status).toBe(200);

    mongo = await startDevMongo({ port, dir });
    const up = await readyBecomes(api, 200, 120_000);
    expect(up.body).toMatchObject({ status: 'ready', checks: { records: { ok: true } } });
  });

  it('SIGTERM turns ready 503 while an in-flight download finishes whole', {
    timeout: 120_000,
  }, async () => {
    const s = await startTestServer({
      only: 'api,stream',
      env: { SHUTDOWN_GRACE_MS: '500', LOG_LEVEL: 'info' },
      keepData: false,
    });
    let stopped = false;
    cleanups.push(() => (stopped ? Promise.resolve() : s.stop()));
    const api = s.urls.api!;
    const stream = s.urls.stream!;
    const json = { 'content-type': 'application/json' };
    const reg = await fetch(`${api}/user`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ user_name: 'ops-drain', pwd: 'password 1' }),
    }).then((r) => r.json() as Promise<{ session_id: string }>);
    const sid = reg.session_id as string;
    const me = await fetch(`${api}/user/ops-drain`, { headers: { 'x-session-id': sid } }).then(
      (r) => r.json() as Promise<{ id: string }>,
    );
    const video = await fetch(`${api}/user/ops-drain/videos`, {
      method: 'POST',
      headers: { ...json, 'x-session-id': sid },
      body: JSON.stringify({ author_id: me.id, name: 'drain' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    // A real webm (uploads are probed) padded to 16 MiB: far more than the socket buffers hold
    // while we do not read.
    const sample = await readFile(
      fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url)),
    );
    const body = Buffer.concat([sample, Buffer.alloc(16 * 1024 * 1024 - sample.length)]);
    const up = await fetch(`${stream}/upload/${video.id}`, {
      method: 'POST',
      headers: { 'x-session-id': sid, 'content-type': 'video/webm' },
      body,
    });
    expect(up.status).toBe(201);

    // A keep-alive connection for the health checks, opened before the drain (new connections
    // are refused once the listeners close; open ones are served until the apps close).
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(async () => agent.destroy());
    expect((await health(stream, 'ready', agent)).status).toBe(200);

    const download = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      httpGet(`${stream}/videos/${video.id}`, { agent: false }, resolve).on('error', reject);
    });
    expect(download.statusCode).toBe(200);
    download.pause();

    s.child.kill('SIGTERM');
    // The HTTP thread says when it has turned not-ready (SIGTERM reaches it through the host).
    await s.waitForLine((l) => l.msg === 'draining: not ready');
    const draining = await health(stream, 'ready', agent);
    expect(draining.status).toBe(503);
    expect(draining.body).toMatchObject({ status: 'not ready', draining: true });

    let received = 0;
    download.on('data', (d: Buffer) => {
      received += d.length;
    });
    const ended = new Promise<void>((resolve, reject) => {
      download.on('end', resolve);
      download.on('error', reject);
    });
    download.resume();
    await ended;
    expect(received).toBe(body.length);
    agent.destroy();
    // The SIGTERM above is the stop: wait for the exit (a second SIGTERM would force it).
    const code =
      s.child.exitCode ?? (await new Promise<number | null>((r) => s.child.once('exit', r)));
    expect(code).toBe(0);
    stopped = true;
    await s.stop(); // removes DATA_DIR
  });
});
