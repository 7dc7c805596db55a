/**
 * GET/HEAD /videos/:vid over real HTTP: the RFC 9110 range and conditional matrix with byte-exact
 * bodies, 404/400 cases, path traversal, and limiter tokens all returned afterwards.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeMp4, request, type Stack, startStack } from './stack.js';

let s: Stack;
const SIZE = 300 * 1024 + 7; // several read chunks, odd length
const bytes = fakeMp4(SIZE);
let vid: string;
let url: string;
let etag: string;
let lastModified: string;

beforeAll(async () => {
  s = await startStack();
  vid = await s.seed(bytes);
  url = `${s.url}/videos/${vid}`;
  const r = await request(url, { method: 'HEAD' });
  etag = r.headers.etag!;
  lastModified = r.headers['last-modified']!;
});
afterAll(async () => {
  await s?.close();
});

describe('full responses', () => {
  it('GET: 200, the whole file, validators and Content-Type from the upload', async () => {
    const r = await request(url);
    expect(r.status).toBe(200);
    expect(r.body.equals(bytes)).toBe(true);
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers['content-length']).toBe(String(SIZE));
    expect(r.headers['content-type']).toBe('video/mp4');
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(new Date(lastModified).getTime()).toBeGreaterThan(0);
  });

  it('HEAD: the same headers, no body', async () => {
    const r = await request(url, { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
    expect(r.headers['content-length']).toBe(String(SIZE));
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers['content-type']).toBe('video/mp4');
  });

  it('HEAD with a range: 206 headers, no body', async () => {
    const r = await request(url, { method: 'HEAD', headers: { range: 'bytes=10-19' } });
    expect(r.status).toBe(206);
    expect(r.body.length).toBe(0);
    expect(r.headers['content-range']).toBe(`bytes 10-19/${SIZE}`);
    expect(r.headers['content-length']).toBe('10');
  });
});

describe('single ranges → 206 with exact bytes', () => {
  const cases: Array<[string, () => [number, number]]> = [
    ['bytes=0-0', () => [0, 0]],
    ['bytes=0-99', () => [0, 99]],
    ['bytes=100-', () => [100, SIZE - 1]],
    ['bytes=0-', () => [0, SIZE - 1]],
    ['bytes=-500', () => [SIZE - 500, SIZE - 1]],
    [`bytes=-${SIZE + 10}`, () => [0, SIZE - 1]],
    [`bytes=${SIZE - 1}-`, () => [SIZE - 1, SIZE - 1]],
    [`bytes=70000-${SIZE + 1000}`, () => [70000, SIZE - 1]],
    ['BYTES=65530-65545', () => [65530, 65545]],
    ['bytes=0-1, 999999999-', () => [0, 1]],
  ];
  for (const [range, bounds] of cases) {
    it(range, async () => {
      const [a, b] = bounds();
      const r = await request(url, { headers: { range } });
      expect(r.status).toBe(206);
      expect(r.headers['content-range']).toBe(`bytes ${a}-${b}/${SIZE}`);
      expect(r.headers['content-length']).toBe(String(b - a + 1));
      expect(r.body.equals(bytes.subarray(a, b + 1))).toBe(true);
    });
  }
});

describe('unsatisfiable → 416 bytes */size', () => {
  for (const range of [`bytes=${SIZE}-`, 'bytes=-0', `bytes=${SIZE + 5}-${SIZE + 10}`]) {
    it(range, async () => {
      const r = await request(url, { headers: { range } });
      expect(r.status).toBe(416);
      expect(r.headers['content-range']).toBe(`bytes */${SIZE}`);
    });
  }
});

describe('ignored ranges → 200 with everything', () => {
  for (const range of [
    'bytes=abc',
    'bytes=5-2',
    'items=0-1',
    'bytes=',
    'bytes=-',
    'bytes=1-2-3',
    'bytes=0-1,5-6', // several ranges: our documented choice is one 200
  ]) {
    it(JSON.stringify(range), async () => {
      const r = await request(url, { headers: { range } });
      expect(r.status).toBe(200);
      expect(r.headers['content-range']).toBeUndefined();
      expect(r.body.equals(bytes)).toBe(true);
    });
  }
});

describe('conditional requests', () => {
  const past = new Date(Date.parse(lastModifiedOr()) - 3600_000).toUTCString();
  function lastModifiedOr(): string {
    return lastModified ?? new Date().toUTCString();
  }
  it('If-None-Match with our ETag, a weak form of it, or * → 304 with validators', async () => {
    for (const v of [etag, `W/${etag}`, '*', `"nope", ${etag}`]) {
      const r = await request(url, { headers: { 'if-none-match': v } });
      expect(r.status, v).toBe(304);
      expect(r.body.length).toBe(0);
      expect(r.headers.etag).toBe(etag);
    }
  });
  it('If-None-Match with another ETag → 200, even if If-Modified-Since matches', async () => {
    const r = await request(url, {
      headers: { 'if-none-match': '"other"', 'if-modified-since': lastModified },
    });
    expect(r.status).toBe(200);
    expect(r.body.equals(bytes)).toBe(true);
  });
  it('If-Modified-Since at Last-Modified → 304; earlier → 200; garbage → 200', async () => {
    expect((await request(url, { headers: { 'if-modified-since': lastModified } })).status).toBe(
      304,
    );
    const earlier = new Date(Date.parse(lastModified) - 3600_000).toUTCString();
    expect((await request(url, { headers: { 'if-modified-since': earlier } })).status).toBe(200);
    expect((await request(url, { headers: { 'if-modified-since': 'yesterday' } })).status).toBe(
      200,
    );
  });
  it('HEAD honours If-None-Match too', async () => {
    const r = await request(url, { method: 'HEAD', headers: { 'if-none-match': etag } });
    expect(r.status).toBe(304);
  });
  it('If-Range with the ETag or the exact date → 206; another/weak ETag or date → 200 full', async () => {
    for (const v of [etag, lastModified]) {
      const r = await request(url, { headers: { range: 'bytes=5-9', 'if-range': v } });
      expect(r.status, v).toBe(206);
      expect(r.body.equals(bytes.subarray(5, 10))).toBe(true);
    }
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    for (const v of ['"other"', `W/${etag}`, earlier]) {
      const r = await request(url, { headers: { range: 'bytes=5-9', 'if-range': v } });
      expect(r.status, v).toBe(200);
      expect(r.body.equals(bytes)).toBe(true);
    }
  });
  it('If-Match mismatch or If-Unmodified-Since in the past → 412; a match → 200', async () => {
    expect((await request(url, { headers: { 'if-match': '"other"' } })).status).toBe(412);
    expect((await request(url, { headers: { 'if-match': etag } })).status).toBe(200);
    expect((await request(url, { headers: { 'if-unmodified-since': past } })).status).toBe(412);
  });
});

describe('unknown videos and bad ids', () => {
  it('404 for an unknown id, a record without a blob, a blob whose record is deleting or gone', async () => {
    expect((await request(`${s.url}/videos/${randomUUID()}`)).status).toBe(404);
    const { userId } = await s.user();
    const noBlob = await s.video(userId);
    expect((await request(`${s.url}/videos/${noBlob}`)).status).toBe(404);
    const deleting = await s.seed(fakeMp4(100));
    await s.stores.records.markVideoDeleting(deleting);
    const r = await request(`${s.url}/videos/${deleting}`);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body.toString())).toEqual({ error: 'Video not found', error_code: '005' });
    const gone = await s.seed(fakeMp4(100));
    await s.stores.records.deleteVideos([gone]);
    expect((await request(`${s.url}/videos/${gone}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('a replaced or deleted blob is never served from the open-file cache', async () => {
    const first = fakeMp4(70_000);
    const id = await s.seed(first);
    const url1 = `${s.url}/videos/${id}`;
    for (let i = 0; i < 2; i++) expect((await request(url1)).body.equals(first)).toBe(true);
    // Same size, new bytes: only the file's identity tells the versions apart.
    const second = fakeMp4(70_000);
    const w = await s.stores.blobs.createWriter(id, { contentType: 'video/mp4' });
    await w.write(second);
    await w.commit();
    const small = await request(url1, { headers: { range: 'bytes=100-199' } });
    expect(small.body.equals(second.subarray(100, 200))).toBe(true);
    expect((await request(url1)).body.equals(second)).toBe(true);
    await s.stores.blobs.delete(id);
    expect((await request(url1)).status).toBe(404);
    expect((await request(url1, { method: 'HEAD' })).status).toBe(404);
  });

  it('an upper-case UUID names the same video', async () => {
    const r = await request(`${s.url}/videos/${vid.toUpperCase()}`, {
      headers: { range: 'bytes=0-3' },
    });
    expect(r.status).toBe(206);
  });

  it('400 with the api error body for ids that are not UUIDs, encoded traversal included', async () => {
    for (const id of ['not-a-uuid', '..%2F..%2Fetc%2Fpasswd', `${vid}x`, 'a'.repeat(36)]) {
      const r = await request(`${s.url}/videos/${id}`);
      expect(r.status, id).toBe(400);
      expect(JSON.parse(r.body.toString())).toEqual({
        error: 'Invalid video id',
        error_code: '001',
      });
    }
  });

  it('raw traversal paths never reach a file (404 from the catch-all)', async () => {
    for (const path of [
      '/videos/../../etc/passwd',
      '/videos/%2e%2e',
      '/videos/..',
      '/videos/..%2f..%2fetc%2fpasswd/x',
      '/../etc/passwd',
    ]) {
      const raw = await new Promise<string>((resolve, reject) => {
        const sock = net.connect(s.port, '127.0.0.1', () => {
          sock.end(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        });
        let out = '';
        sock.on('data', (d) => (out += d.toString('latin1')));
        sock.on('end', () => resolve(out));
        sock.on('error', reject);
      });
      expect(raw, path).toMatch(/^HTTP\/1\.1 (400|404) /);
      expect(raw).not.toContain('root:');
    }
  });

  it('any other path is a JSON 404; HEAD gets no body', async () => {
    const r = await request(`${s.url}/nope`);
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body.toString()).error_code).toBe('005');
    const h = await request(`${s.url}/nope`, { method: 'HEAD' });
    expect(h.status).toBe(404);
    expect(h.body.length).toBe(0);
  });

  it('every request above gave its limiter token back', () => {
    expect(s.limiter!.inUse()).toBe(0);
    expect(s.apps.inflight()).toBe(0);
  });
});
