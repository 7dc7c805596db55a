/**
 * POST /upload/:vid over real HTTP: raw and multipart bodies, content sniffing, the size cap, auth
 * and ownership, truncated uploads and racing uploads — and nothing ever left behind on failure.
 */

import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipart, rawRequest } from './raw-client.js';
import {
  eventually,
  fakeMp4,
  makeWebm,
  openFds,
  readFile,
  request,
  type Stack,
  startStack,
} from './stack.js';

const MAX = 1024 * 1024;
let s: Stack;
let webm: Buffer;

beforeAll(async () => {
  s = await startStack({ maxUploadBytes: MAX });
  webm = await readFile(makeWebm(s.dir));
});
afterAll(async () => {
  await s?.close();
});

/** Names in the blob directory that belong to `vid` (blob, sidecar, temp files). */
async function traces(vid: string): Promise<string[]> {
  return (await readdir(join(s.dir, 'videos'))).filter((n) => n.includes(vid));
}

async function owned(): Promise<{ vid: string; sessionId: string }> {
  const { userId, sessionId } = await s.user();
  return { vid: await s.video(userId), sessionId };
}

function upload(
  vid: string,
  sessionId: string | undefined,
  body: Buffer,
  contentType: string,
  extra: Record<string, string | number> = {},
) {
  const headers: Record<string, string | number> = {
    'Content-Type': contentType,
    'Content-Length': body.length,
    ...extra,
  };
  if (sessionId !== undefined) headers['X-Session-Id'] = sessionId;
  return rawRequest(s.port, { path: `/upload/${vid}`, headers, body });
}

describe('accepted uploads', () => {
  it('a raw video/* body → 201, then served byte-exact with the sniffed type', async () => {
    const { vid, sessionId } = await owned();
    const bytes = fakeMp4(MAX - 10);
    const r = await upload(vid, sessionId, bytes, 'video/webm'); // the claim is wrong; the bytes win
    expect(r!.status).toBe(201);
    expect(r!.body).toBe('Uploaded successfully');
    const got = await request(`${s.url}/videos/${vid}`);
    expect(got.body.equals(bytes)).toBe(true);
    expect(got.headers['content-type']).toBe('video/mp4');
  });

  it('a multipart form with field "file" (after other fields) → 201, served as video/webm', async () => {
    const { vid, sessionId } = await owned();
    const form = multipart([
      { name: 'name', data: 'my video' },
      { name: 'file', filename: 'a.webm', type: 'video/webm', data: webm },
    ]);
    const r = await upload(vid, sessionId, form.body, form.contentType);
    expect(r!.status).toBe(201);
    const got = await request(`${s.url}/videos/${vid}`);
    expect(got.body.equals(webm)).toBe(true);
    expect(got.headers['content-type']).toBe('video/webm');
  });

  it('a chunked raw body (no Content-Length) → 201', async () => {
    const { vid, sessionId } = await owned();
    const bytes = fakeMp4(300_000);
    const r = await rawRequest(s.port, {
      path: `/upload/${vid}`,
      headers: { 'Content-Type': 'video/mp4', 'X-Session-Id': sessionId },
      body: bytes,
    });
    expect(r!.status).toBe(201);
    expect((await request(`${s.url}/videos/${vid}`)).body.equals(bytes)).toBe(true);
  });

  it('a re-upload replaces the video as a whole', async () => {
    const { vid, sessionId } = await owned();
    const a = fakeMp4(200_000);
    const b = fakeMp4(100_000);
    expect((await upload(vid, sessionId, a, 'video/mp4'))!.status).toBe(201);
    const first = await request(`${s.url}/videos/${vid}`); // warms the per-version info cache
    expect(first.body.equals(a)).toBe(true);
    expect((await upload(vid, sessionId, b, 'video/mp4'))!.status).toBe(201);
    const second = await request(`${s.url}/videos/${vid}`);
    expect(second.body.equals(b)).toBe(true);
    expect(second.headers.etag).not.toBe(first.headers.etag);
    expect(second.headers['content-length']).toBe(String(b.length));
  });
});

describe('rejected uploads leave nothing behind', () => {
  it('over the cap by Content-Length → 413 before reading the body', async () => {
    const { vid, sessionId } = await owned();
    const r = await upload(vid, sessionId, fakeMp4(MAX + 1), 'video/mp4');
    expect(r!.status).toBe(413);
    expect(JSON.parse(r!.body)).toEqual({ error: 'File is too big', error_code: '008' });
    expect(await traces(vid)).toEqual([]);
  });

  it('over the cap while streaming (chunked) → 413, temp file removed', async () => {
    const { vid, sessionId } = await owned();
    const r = await rawRequest(s.port, {
      path: `/upload/${vid}`,
      headers: { 'Content-Type': 'video/mp4', 'X-Session-Id': sessionId },
      body: fakeMp4(3 * MAX),
    });
    expect(r!.status).toBe(413);
    await eventually(async () => (await traces(vid)).length === 0, 'temp file removal');
    expect((await request(`${s.url}/videos/${vid}`)).status).toBe(404);
  });

  it('a multipart file over the cap → 413', async () => {
    const { vid, sessionId } = await owned();
    const form = multipart([{ name: 'file', filename: 'a.mp4', data: fakeMp4(MAX + 1000) }]);
    const r = await rawRequest(s.port, {
      path: `/upload/${vid}`,
      headers: { 'Content-Type': form.contentType, 'X-Session-Id': sessionId },
      body: form.body,
    });
    expect(r!.status).toBe(413);
    await eventually(async () => (await traces(vid)).length === 0, 'temp file removal');
  });

  it('not a video container → 415 (raw and multipart); a non-video Content-Type → 415', async () => {
    const { vid, sessionId } = await owned();
    const text = Buffer.from('hello, this is not a video at all '.repeat(100));
    expect((await upload(vid, sessionId, text, 'video/mp4'))!.status).toBe(415);
    const tiny = Buffer.from('hi');
    expect((await upload(vid, sessionId, tiny, 'video/mp4'))!.status).toBe(415);
    const form = multipart([{ name: 'file', filename: 'x.mp4', data: text }]);
    expect((await upload(vid, sessionId, form.body, form.contentType))!.status).toBe(415);
    const r = await upload(vid, sessionId, fakeMp4(1000), 'text/plain');
    expect(r!.status).toBe(415);
    expect(JSON.parse(r!.body).error_code).toBe('009');
    expect(await traces(vid)).toEqual([]);
  });

  it('multipart without a "file" field → 400', async () => {
    const { vid, sessionId } = await owned();
    const form = multipart([{ name: 'other', filename: 'a.mp4', data: fakeMp4(1000) }]);
    expect((await upload(vid, sessionId, form.body, form.contentType))!.status).toBe(400);
    expect(await traces(vid)).toEqual([]);
  });

  it('no session, an unknown or malformed session → 401; another user → 403', async () => {
    const { vid } = await owned();
    const other = await s.user();
    const body = fakeMp4(1000);
    for (const sid of [undefined, randomUUID(), 'not-a-session']) {
      const r = await upload(vid, sid, body, 'video/mp4');
      expect(r!.status, String(sid)).toBe(401);
      expect(JSON.parse(r!.body).error_code).toBe('002');
    }
    const r = await upload(vid, other.sessionId, body, 'video/mp4');
    expect(r!.status).toBe(403);
    expect(JSON.parse(r!.body).error_code).toBe('006');
    expect(await traces(vid)).toEqual([]);
  });

  it('an unknown or deleting record → 404; a non-UUID id → 400', async () => {
    const { userId, sessionId } = await s.user();
    const body = fakeMp4(1000);
    expect((await upload(randomUUID(), sessionId, body, 'video/mp4'))!.status).toBe(404);
    const deleting = await s.video(userId, 'deleting');
    expect((await upload(deleting, sessionId, body, 'video/mp4'))!.status).toBe(404);
    expect((await upload('..%2F..%2Fetc', sessionId, body, 'video/mp4'))!.status).toBe(400);
  });

  it('a truncated upload (client gone mid-body) leaves no file, no token, no descriptor', async () => {
    const { vid, sessionId } = await owned();
    const fds = await openFds();
    const r = await rawRequest(s.port, {
      path: `/upload/${vid}`,
      headers: { 'Content-Type': 'video/mp4', 'Content-Length': MAX, 'X-Session-Id': sessionId },
      body: fakeMp4(MAX),
      cutAfter: MAX / 2,
      // The server has the temp file open before we vanish.
      beforeCut: () => eventually(async () => (await traces(vid)).length > 0, 'temp file'),
    });
    expect(r).toBeUndefined();
    await eventually(async () => (await traces(vid)).length === 0, 'temp file removal');
    await eventually(() => s.limiter!.inUse() === 0 && s.apps.inflight() === 0, 'token release');
    await eventually(async () => (await openFds()) <= fds, 'descriptors closed');
    expect((await request(`${s.url}/videos/${vid}`)).status).toBe(404);
  });
});

describe('racing uploads', () => {
  it('two uploads to one id: both complete, the survivor is one whole file, never a mix', async () => {
    const { vid, sessionId } = await owned();
    const a = fakeMp4(MAX - 100);
    const b = fakeMp4(MAX - 100);
    const [ra, rb] = await Promise.all([
      upload(vid, sessionId, a, 'video/mp4'),
      upload(vid, sessionId, b, 'video/mp4'),
    ]);
    expect([ra!.status, rb!.status]).toEqual([201, 201]);
    const got = (await request(`${s.url}/videos/${vid}`)).body;
    expect(got.equals(a) || got.equals(b)).toBe(true);
    expect((await traces(vid)).sort()).toEqual([vid, `${vid}.meta`]);
  });

  it('every upload above gave its token back', () => {
    expect(s.limiter!.inUse()).toBe(0);
    expect(s.apps.inflight()).toBe(0);
  });
});
