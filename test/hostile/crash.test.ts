/**
 * Crash containment in real HTTP threads (issue 10, item 1), through routes this test mounts with
 * `startHttpHost`'s `extraMounts` (test/fixtures/http/fault-routes.ts):
 *   - a throw in a handler, from a timer, or an unhandled rejection → that request gets 500 JSON,
 *     the thread keeps serving (no replacement), the host hears a 'thread-crash' report;
 *   - a thread that really ends, ten times in a row → only it is replaced, the tokens it held come
 *     back, and a keep-alive connection pinned to the other thread is answered throughout.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LimiterClient, type LimiterRef, spawnLimiter } from '../../src/actors/index.js';
import type { Config } from '../../src/config.js';
import { type HttpHost, startHttpHost } from '../../src/http/host.js';
import { streamHostConfig } from '../http/stack.js';

const FAULTS = new URL('../fixtures/http/fault-routes.ts', import.meta.url).href;

let dir: string;
let limiterRef: LimiterRef;
let limiter: LimiterClient;
let host: HttpHost;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vs-crash-'));
  const config: Config = streamHostConfig(dir);
  limiterRef = await spawnLimiter({ capacity: config.maxConns });
  limiter = new LimiterClient(limiterRef.shared);
  host = await startHttpHost(config, {
    limiterShared: limiterRef.shared,
    extraMounts: { stream: FAULTS },
  });
  base = host.urls.stream!;
});
afterAll(async () => {
  await host?.close(1000);
  await limiterRef?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  body: string;
}

function get(agent: http.Agent | false, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { agent, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const oneSocket = () => new http.Agent({ keepAlive: true, maxSockets: 1 });

describe('a crash inside a request', () => {
  for (const path of ['/fault/throw', '/fault/async-throw', '/fault/reject']) {
    it(`${path} → 500 JSON to that request, the thread keeps serving`, async () => {
      const reported = new Promise<{ url?: string }>((r) => host.once('thread-crash', r));
      const r = await get(false, path);
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body)).toMatchObject({ error_code: '004' });
      expect((await reported).url).toBe(path); // logged and reported with its request
      expect((await get(false, '/fault/thread')).status).toBe(200);
      expect(host.replacements).toBe(0);
    });
  }
});

describe('a thread that ends', () => {
  it('is replaced alone, ten times in a row; its tokens come back; the other keeps serving', async () => {
    const pinned = oneSocket();
    const survivor = (await get(pinned, '/fault/thread')).body;
    let served = 0;
    const failures: unknown[] = [];
    let stop = false;
    const serving = (async () => {
      while (!stop) {
        try {
          const r = await get(pinned, '/fault/thread');
          if (r.status !== 200 || r.body !== survivor) failures.push(r);
          else served++;
        } catch (err) {
          failures.push(err);
        }
      }
    })();

    for (let round = 1; round <= 10; round++) {
      // A connection that landed on the other thread (the kernel picks; retry until it does).
      let doomed: http.Agent;
      for (;;) {
        doomed = oneSocket();
        if ((await get(doomed, '/fault/thread')).body !== survivor) break;
        doomed.destroy();
      }
      expect((await get(doomed, '/fault/hold', 'POST')).body).toBe('held');
      expect(limiter.inUse()).toBe(1);
      const replaced = new Promise((r) => host.once('replaced', r));
      await expect(get(doomed, '/fault/exit')).rejects.toThrow();
      doomed.destroy();
      await replaced;
      expect(host.replacements).toBe(round);
      expect(limiter.inUse()).toBe(0); // the held token came back with the dead thread
    }
    const before = served;
    await get(pinned, '/fault/thread');
    stop = true;
    await serving;
    pinned.destroy();
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(before - 1);
    expect(served).toBeGreaterThan(10);
  }, 240_000);
});
