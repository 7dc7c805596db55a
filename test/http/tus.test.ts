/**
 * tus 1.0 at /files/ on the stream service over loopback, with a raw client: creation rules
 * (session, own video_id), HEAD offsets, chunked PATCHes, an interrupted PATCH resumed from the
 * server's offset, and completion making the bytes the video's blob with its metadata.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './stack.js';
import { tusCreate, tusCutPatch, tusHead, tusOffset, tusPatch } from './tus-client.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url));
let s: Stack;
let sample: Buffer;

beforeAll(async () => {
  s = await startStack({ maxUploadBytes: 4 * 1024 * 1024, userQuotaBytes: 3 * 1024 * 1024 });
  sample = await readFile(SAMPLE);
});
afterAll(async () => {
  await s?.close();
});

async function owned() {
  const u = await s.user();
  return { ...u, vid: await s.video(u.userId) };
}

describe('tus creation', () => {
  it('needs a session and one of your own active videos', async () => {
    const { vid, sessionId } = await owned();
    const other = await s.user();
    expect((await tusCreate(s.url, undefined, 10, vid)).status).toBe(401);
    expect((await tusCreate(s.url, randomUUID(), 10, vid)).status).toBe(401);
    expect((await tusCreate(s.url, other.sessionId, 10, vid)).status).toBe(403);
    expect((await tusCreate(s.url, sessionId, 10, randomUUID())).status).toBe(404);
    expect((await tusCreate(s.url, sessionId, 10, 'x')).status).toBe(400);
    expect((await tusCreate(s.url, sessionId, 10, undefined)).status).toBe(400);
    const big = await tusCreate(s.url, sessionId, 4 * 1024 * 1024 + 1, vid);
    expect(big.status).toBe(413);
    // Within MAX_UPLOAD_BYTES (4 MiB) but beyond this user's quota (3 MiB).
    const overQuota = await tusCreate(s.url, sessionId, 3 * 1024 * 1024 + 1, vid);
    expect(overQuota.status).toBe(413);
    expect(JSON.parse(overQuota.body).error_code).toBe('013');
    const ok = await tusCreate(s.url, sessionId, 10, vid);
    expect(ok.status).toBe(201);
    const location = ok.headers.location as string;
    expect(location).toMatch(/^\/files\/[0-9a-f]+$/);
    expect(await tusOffset(s.url, sessionId, location)).toBe(0);
    // Someone else (or nobody) cannot even see that the upload exists.
    expect((await tusHead(s.url, other.sessionId, location)).status).toBe(404);
    expect((await tusHead(s.url, undefined, location)).status).toBe(401);
    expect((await tusHead(s.url, sessionId, '/files/0123abcd')).status).toBe(404);
    const bytes = await fetch(`${s.url}/files/0123abcd`);
    expect(bytes.status).toBe(404);
  });
});

describe('tus uploads', () => {
  it('uploads in chunks, reports offsets, and completes into the video with metadata', async () => {
    const { vid, sessionId } = await owned();
    const c = await tusCreate(s.url, sessionId, sample.length, vid);
    const loc = c.headers.location as string;
    const half = 70_000;
    const p1 = await tusPatch(s.url, sessionId, loc, 0, sample.subarray(0, half), half);
    expect(p1.status).toBe(204);
    expect(p1.headers['upload-offset']).toBe(String(half));
    expect(await tusOffset(s.url, sessionId, loc)).toBe(half);
    const wrong = await tusPatch(s.url, sessionId, loc, 5, sample.subarray(5, 10), 5);
    expect(wrong.status).toBe(409);
    expect((await fetch(`${s.url}/videos/${vid}`)).status).toBe(404);
    const rest = sample.subarray(half);
    const p2 = await tusPatch(s.url, sessionId, loc, half, rest, rest.length);
    expect(p2.status).toBe(204);
    const v = await fetch(`${s.url}/videos/${vid}`);
    expect(v.headers.get('content-type')).toBe('video/webm');
    expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
    expect(await s.stores.records.getVideo(vid)).toMatchObject({ ready: true, durationMs: 4003 });
    expect((await fetch(`${s.url}/posters/${vid}`)).status).toBe(200);
    // The finished upload is gone from the tus store.
    expect((await tusHead(s.url, sessionId, loc)).status).toBe(404);
  });

  it('resumes an interrupted PATCH from the offset the server reports', async () => {
    const { vid, sessionId } = await owned();
    const loc = (await tusCreate(s.url, sessionId, sample.length, vid)).headers.location as string;
    // Send 100,000 bytes of a PATCH that announces the whole file, then cut the connection.
    const sent = 100_000;
    const offset = await tusCutPatch(
      s.url,
      sessionId,
      loc,
      sample.subarray(0, sent),
      sample.length,
    );
    expect(offset).toBeLessThanOrEqual(sent);
    const rest = sample.subarray(offset);
    const r = await tusPatch(s.url, sessionId, loc, offset, rest, rest.length);
    expect(r.status).toBe(204);
    const v = await fetch(`${s.url}/videos/${vid}`);
    expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
  });

  it('refuses a completed upload that is not a video with 415 and its reason', async () => {
    const { vid, sessionId } = await owned();
    const junk = Buffer.alloc(5000, 7);
    const loc = (await tusCreate(s.url, sessionId, junk.length, vid)).headers.location as string;
    const r = await tusPatch(s.url, sessionId, loc, 0, junk, junk.length);
    expect(r.status).toBe(415);
    expect(JSON.parse(r.body).error).toMatch(/^Not a readable video/);
    expect((await fetch(`${s.url}/videos/${vid}`)).status).toBe(404);
    expect((await s.stores.records.getVideo(vid))?.ready).toBe(false);
  });
});
