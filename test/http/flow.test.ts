/**
 * Streaming under pressure over real HTTP: aborted downloads release their token and descriptor,
 * a slow reader does not stall others (and still gets every byte through onWritable), the surplus
 * over the limiter's capacity gets exactly 429, and a read error mid-stream closes the response.
 */
import { randomUUID } from 'node:crypto';
import { truncate } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpApps } from '../../src/http/apps.js';
import type { ServiceContext } from '../../src/http/context.js';
import type { BlobStore } from '../../src/store/types.js';
import { eventually, fakeMp4, openFds, request, type Stack, startStack } from './stack.js';

const BIG = 32 * 1024 * 1024; // well above loopback socket buffers: a paused reader stays in flight
const CAPACITY = 3;
let s: Stack;
let big: Buffer;
let vid: string;

beforeAll(async () => {
  s = await startStack({ maxConns: CAPACITY });
  big = fakeMp4(BIG);
  vid = await s.seed(big);
});
afterAll(async () => {
  await s?.close();
});

interface Held {
  status: number;
  res: http.IncomingMessage;
  req: http.ClientRequest;
  received: () => number;
  body: () => Promise<Buffer>;
}

/** A GET whose reader pauses as soon as the headers arrive; resolves once they have. */
function hold(url: string, headers: Record<string, string> = {}): Promise<Held> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers }, (res) => {
      res.pause();
      const chunks: Buffer[] = [];
      let n = 0;
      let done: Promise<Buffer> | undefined;
      resolve({
        status: res.statusCode!,
        res,
        req,
        received: () => n,
        body: () =>
          (done ??= new Promise((ok, fail) => {
            res.on('data', (c: Buffer) => {
              n += c.length;
              chunks.push(c);
            });
            res.on('end', () => ok(Buffer.concat(chunks)));
            res.on('error', fail);
            res.resume();
          })),
      });
    });
    req.on('error', reject);
  });
}

describe('aborts release everything at once', () => {
  it('a download aborted mid-body returns its token and closes its descriptor', async () => {
    // The open-file cache keeps one descriptor per hot blob: count from after it is filled.
    expect((await request(`${s.url}/videos/${vid}`, { method: 'HEAD' })).status).toBe(200);
    const fds = await openFds();
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${s.url}/videos/${vid}`, { agent: false }, (res) => {
        res.once('data', () => {
          expect(s.limiter!.inUse()).toBe(1);
          req.destroy();
          resolve();
        });
      });
      req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    });
    await eventually(() => s.limiter!.inUse() === 0 && s.apps.inflight() === 0, 'token release');
    await eventually(async () => (await openFds()) <= fds, 'descriptor release');
  });

  it('many aborted range downloads in a row leave nothing behind', async () => {
    const fds = await openFds();
    for (let i = 0; i < 20; i++) {
      const h = await hold(`${s.url}/videos/${vid}`, { range: `bytes=${i * 1000}-` });
      expect(h.status).toBe(206);
      h.req.destroy();
      await eventually(() => s.limiter!.inUse() === 0, 'token release');
    }
    await eventually(async () => (await openFds()) <= fds, 'descriptor release');
  });
});

describe('backpressure', () => {
  it('a paused reader does not stall another; it then gets every byte in order', async () => {
    const slow = await hold(`${s.url}/videos/${vid}`);
    const fast = await request(`${s.url}/videos/${vid}`);
    expect(fast.body.equals(big)).toBe(true);
    // The slow one is still being served (its token and in-flight slot are held) …
    expect(s.apps.inflight()).toBe(1);
    expect(s.limiter!.inUse()).toBe(1);
    const rest = await slow.body();
    expect(rest.equals(big)).toBe(true);
    await eventually(() => s.limiter!.inUse() === 0, 'token release');
  });
});

describe('limiter', () => {
  it('with every token held, exactly the surplus gets 429 "Too many requests"', async () => {
    const held = await Promise.all(
      Array.from({ length: CAPACITY }, () => hold(`${s.url}/videos/${vid}`)),
    );
    expect(held.map((h) => h.status)).toEqual([200, 200, 200]);
    expect(s.limiter!.inUse()).toBe(CAPACITY);
    const extra = await Promise.all([
      request(`${s.url}/videos/${vid}`),
      request(`${s.url}/videos/${vid}`, { method: 'HEAD' }),
      request(`${s.url}/videos/${vid}`, { headers: { range: 'bytes=0-9' } }),
      request(`${s.url}/upload/${vid}`, {
        method: 'POST',
        headers: { 'content-type': 'video/mp4' },
        body: 'x',
      }),
    ]);
    expect(extra.map((r) => r.status)).toEqual([429, 429, 429, 429]);
    expect(JSON.parse(extra[0]!.body.toString())).toEqual({
      error: 'Too many requests',
      error_code: '010',
    });
    expect(extra[1]!.body.length).toBe(0);
    // What needs no read is answered without a token: a malformed id, an unknown one.
    const unknown = `${s.url}/videos/${randomUUID()}`;
    const free = await Promise.all([
      request(unknown),
      request(unknown, { method: 'HEAD' }),
      request(`${s.url}/videos/not-an-id`),
    ]);
    expect(free.map((r) => r.status)).toEqual([404, 404, 400]);
    expect(JSON.parse(free[0]!.body.toString())).toMatchObject({ error_code: '005' });
    expect(free[1]!.body.length).toBe(0);
    expect(free[1]!.headers['content-length']).toBe(String(free[0]!.body.length));
    expect(s.limiter!.inUse()).toBe(CAPACITY);
    for (const h of held) h.req.destroy();
    await eventually(() => s.limiter!.inUse() === 0, 'token release');
    expect((await request(`${s.url}/videos/${vid}`, { method: 'HEAD' })).status).toBe(200);
  });

  it('CAPACITY + 5 concurrent slow downloads: CAPACITY get 200, exactly 5 get 429', async () => {
    const all = await Promise.all(
      Array.from({ length: CAPACITY + 5 }, () => hold(`${s.url}/videos/${vid}`)),
    );
    const statuses = all.map((h) => h.status);
    expect(statuses.filter((x) => x === 200)).toHaveLength(CAPACITY);
    expect(statuses.filter((x) => x === 429)).toHaveLength(5);
    for (const h of all) h.req.destroy();
    await eventually(() => s.limiter!.inUse() === 0 && s.apps.inflight() === 0, 'token release');
  });
});

describe('read errors', () => {
  it('a file that shrinks under a paused download: the response is cut, never padded', async () => {
    const victim = await s.seed(fakeMp4(BIG));
    const h = await hold(`${s.url}/videos/${victim}`);
    expect(h.status).toBe(200);
    // The server holds an open descriptor and waits for the socket; cut the file under it.
    await truncate(join(s.dir, 'videos', victim), 1024 * 1024);
    const outcome = await new Promise<string>((resolve) => {
      let n = 0;
      h.res.on('data', (c: Buffer) => (n += c.length));
      h.res.on('end', () => resolve(`end ${n}`));
      h.res.on('aborted', () => resolve(n < BIG ? 'cut short' : `cut after ${n}`));
      h.res.on('error', () => resolve(n < BIG ? 'cut short' : `cut after ${n}`));
      h.res.resume();
    });
    expect(outcome).toBe('cut short');
    await eventually(() => s.limiter!.inUse() === 0 && s.apps.inflight() === 0, 'token release');
  });

  it('a source failing mid-stream closes the response; a failure before the first byte is a 500', async () => {
    let failAt = 100_000;
    const blobs: BlobStore = {
      ...s.stores.blobs,
      stat: (id) => s.stores.blobs.stat(id),
      read: (_id, range) => {
        const len = (range?.end ?? BIG - 1) - (range?.start ?? 0) + 1;
        const at = failAt;
        return Readable.from(
          (async function* () {
            if (at > 0) yield Buffer.alloc(Math.min(at, len));
            throw new Error('disk on fire');
          })(),
        );
      },
    };
    const ctx: ServiceContext = { ...s.ctx, blobs };
    const apps = await startHttpApps(ctx, ['stream'], { host: '127.0.0.1', ports: { stream: 0 } });
    try {
      const url = `http://127.0.0.1:${apps.ports.stream}/videos/${vid}`;
      const outcome = await new Promise<string>((resolve) => {
        http
          .get(url, { agent: false }, (res) => {
            let n = 0;
            res.on('data', (c: Buffer) => (n += c.length));
            res.on('end', () => resolve(`end ${n}`));
            res.on('error', () => resolve(`cut ${res.statusCode} ${n}`));
            res.on('aborted', () => resolve(`cut ${res.statusCode} ${n}`));
          })
          .on('error', (e) => resolve(`error ${e.message}`));
      });
      expect(outcome).toBe(`cut 200 ${failAt}`);
      failAt = 0;
      expect((await request(url)).status).toBe(500);
      await eventually(() => s.limiter!.inUse() === 0 && apps.inflight() === 0, 'token release');
    } finally {
      await apps.close(100);
    }
  });
});
