/**
 * The multi-thread host: worker threads sharing one port (port 0 resolved by the first thread),
 * the real limiter shared across threads, a missing service named at start-up, graceful close
 * letting an in-flight stream finish, and the fallback refusal.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimiterClient, type LimiterRef, spawnLimiter } from '../../src/actors/index.js';
import type { Config } from '../../src/config.js';
import { startHttpApps } from '../../src/http/apps.js';
import { type HttpHost, startHttpHost } from '../../src/http/host.js';
import { SERVICE_MODULES } from '../../src/http/services.js';
import { createLogger } from '../../src/log.js';
import { openStores } from '../../src/store/index.js';
import { eventually, fakeMp4, request, streamHostConfig } from './stack.js';

let dir: string;
let config: Config;
let limiterRef: LimiterRef;
let limiter: LimiterClient;
let vid: string;
const bytes = fakeMp4(24 * 1024 * 1024);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vs-http-host-'));
  config = streamHostConfig(dir);
  // Seed through the same stores the threads will open.
  const stores = await openStores(config);
  const userId = randomUUID();
  vid = randomUUID();
  await stores.records.createVideo({
    id: vid,
    authorId: userId,
    name: 'v',
    createdAt: Date.now(),
    state: 'active',
  });
  const w = await stores.blobs.createWriter(vid, { contentType: 'video/mp4' });
  await w.write(bytes);
  await w.commit();
  await stores.close();
  limiterRef = await spawnLimiter({ capacity: config.maxConns });
  limiter = new LimiterClient(limiterRef.shared);
});
afterAll(async () => {
  await limiterRef?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('startHttpHost', () => {
  let host: HttpHost;
  beforeAll(async () => {
    host = await startHttpHost(config, { limiterShared: limiterRef.shared });
  });
  afterAll(async () => {
    await host?.close(1000);
  });

  it('serves from every thread on one port, spending tokens of the shared limiter', async () => {
    expect(host.urls.stream).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(`${host.urls.stream}/videos/${vid}`, { headers: { range: 'bytes=100-199' } }),
      ),
    );
    for (const r of replies) {
      expect(r.status).toBe(206);
      expect(r.body.equals(bytes.subarray(100, 200))).toBe(true);
    }
    const stats = await limiterRef.stats();
    expect(stats.granted).toBeGreaterThanOrEqual(20);
    expect(limiter.inUse()).toBe(0);
  });

  it('close() lets an in-flight stream finish, then refuses new connections', async () => {
    const body = new Promise<Buffer>((resolve, reject) => {
      http
        .get(`${host.urls.stream}/videos/${vid}`, { agent: false }, (res) => {
          res.pause();
          // Start closing while this response is in flight and paused, then read it all.
          const closed = host.close(10_000);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => closed.then(() => resolve(Buffer.concat(chunks)), reject));
          res.on('error', reject);
          setImmediate(() => res.resume());
        })
        .on('error', reject);
    });
    expect((await body).equals(bytes)).toBe(true);
    await expect(request(`${host.urls.stream}/videos/${vid}`)).rejects.toThrow(/ECONNREFUSED/);
    await eventually(() => limiter.inUse() === 0, 'tokens back');
  });
});

describe('start-up errors', () => {
  it('an enabled service without a module is named in the error', async () => {
    const ctx = { config, records: {}, blobs: {}, limiter: undefined, log: createLogger('t') };
    await expect(
      startHttpApps(ctx as never, ['stream', 'scheduler'], {
        host: '127.0.0.1',
        ports: {},
        modules: { stream: SERVICE_MODULES.stream! },
      }),
    ).rejects.toMatchObject({ code: 'ERR_SERVICE_MISSING', service: 'scheduler' });
  });

  it('a bad lateAliveMs is refused naming the option, before any thread starts', async () => {
    for (const lateAliveMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(startHttpHost(config, { lateAliveMs })).rejects.toThrow(
        'options.lateAliveMs must be a non-negative number',
      );
    }
  });

  it('a port already taken by another program fails start-up naming the setting', async () => {
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const c = { ...config, httpThreads: 1, ports: { ...config.ports, stream: port } };
      await expect(startHttpHost(c)).rejects.toMatchObject({
        code: 'ERR_CONFIG',
        setting: 'STREAM_PORT',
        message: expect.stringMatching(/already in use/),
      });
    } finally {
      blocker.close();
    }
  });
});
