/**
 * Issue 12 on the stream service over loopback: an upload is probed by ffprobe (415 with its
 * reason for a non-video, the previous video kept), its metadata and poster recorded before the
 * 201; posters are served at /posters/:vid; a private video's bytes and poster go only to its
 * owner (X-Session-Id or the web's cookie), everyone else gets 404.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { posterBlobId } from '../../src/store/index.js';
import { type Stack, startStack } from './stack.js';

const SAMPLE = fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url));
let s: Stack;
let sample: Buffer;

beforeAll(async () => {
  s = await startStack({ maxUploadBytes: 16 * 1024 * 1024 });
  sample = await readFile(SAMPLE);
});
afterAll(async () => {
  await s?.close();
});

/** A 2-second 1280×720 mp4 made by the npm-installed ffmpeg (its poster must shrink to 640). */
function wideMp4(): Buffer {
  const ffmpeg = (createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path: string })
    .path;
  const out = join(s.dir, 'wide.mp4');
  execFileSync(ffmpeg, [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=1280x720:rate=10'],
    ...['-c:v', 'libx264', '-pix_fmt', 'yuv420p', out],
  ]);
  return readFileSync(out);
}

/** Width and height from a baseline/progressive JPEG's SOF marker. */
function jpegSize(b: Buffer): { width: number; height: number } {
  expect(b.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  let i = 2;
  while (i < b.length) {
    const marker = b[i + 1]!;
    const len = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}

async function upload(vid: string, sid: string, body: Buffer, type = 'video/webm') {
  const r = await fetch(`${s.url}/upload/${vid}`, {
    method: 'POST',
    headers: { 'content-type': type, 'x-session-id': sid },
    body,
  });
  return { status: r.status, text: await r.text() };
}

async function owned() {
  const u = await s.user();
  return { ...u, vid: await s.video(u.userId) };
}

describe('media at upload', () => {
  it('records duration, size, codecs and a poster before answering 201', async () => {
    const { vid, sessionId } = await owned();
    expect((await upload(vid, sessionId, sample)).status).toBe(201);
    const v = await s.stores.records.getVideo(vid);
    expect(v).toMatchObject({
      ready: true,
      durationMs: 4003,
      width: 320,
      height: 180,
      codecs: ['vp8', 'vorbis'],
      posterId: posterBlobId(vid),
    });
    const r = await fetch(`${s.url}/posters/${vid}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/jpeg');
    expect(jpegSize(Buffer.from(await r.arrayBuffer()))).toEqual({ width: 320, height: 180 });
    const head = await fetch(`${s.url}/posters/${vid}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const bytes = await fetch(`${s.url}/videos/${vid}`);
    expect(bytes.headers.get('content-type')).toBe('video/webm');
    expect(Buffer.from(await bytes.arrayBuffer()).equals(sample)).toBe(true);
  });

  it('scales a wide video’s poster down to 640 px', async () => {
    const { vid, sessionId } = await owned();
    expect((await upload(vid, sessionId, wideMp4(), 'video/mp4')).status).toBe(201);
    expect(await s.stores.records.getVideo(vid)).toMatchObject({ width: 1280, height: 720 });
    const r = await fetch(`${s.url}/posters/${vid}`);
    expect(jpegSize(Buffer.from(await r.arrayBuffer()))).toEqual({ width: 640, height: 360 });
  });

  it('refuses what ffprobe cannot read as video with 415 and its reason, keeping the old video', async () => {
    const { vid, sessionId } = await owned();
    // Looks like mp4 to a byte sniff (an ftyp box), is not a video.
    const fake = randomBytes(64 * 1024);
    fake.writeUInt32BE(24, 0);
    fake.write('ftypisom', 4, 'latin1');
    const bad = await upload(vid, sessionId, fake, 'video/mp4');
    expect(bad.status).toBe(415);
    expect(JSON.parse(bad.text)).toMatchObject({ error_code: '009' });
    expect(JSON.parse(bad.text).error).toMatch(/^Not a readable video/);
    expect(JSON.parse(bad.text).error).not.toContain(s.dir);
    expect((await s.stores.records.getVideo(vid))?.ready).toBe(false);
    expect((await fetch(`${s.url}/videos/${vid}`)).status).toBe(404);
    expect((await fetch(`${s.url}/posters/${vid}`)).status).toBe(404);

    expect((await upload(vid, sessionId, sample)).status).toBe(201);
    const audioOnly = await upload(
      vid,
      sessionId,
      Buffer.from('ID3 not a video at all'),
      'video/mp4',
    );
    expect(audioOnly.status).toBe(415);
    const kept = await fetch(`${s.url}/videos/${vid}`);
    expect(Buffer.from(await kept.arrayBuffer()).equals(sample)).toBe(true);
    expect((await s.stores.records.getVideo(vid))?.ready).toBe(true);
  });
});

describe('visibility on the stream service', () => {
  it('serves a private video and its poster only to the owner', async () => {
    const { vid, sessionId } = await owned();
    expect((await upload(vid, sessionId, sample)).status).toBe(201);
    await s.stores.records.updateVideo(vid, { visibility: 'private' });
    const other = await s.user();
    for (const path of [`/videos/${vid}`, `/posters/${vid}`]) {
      for (const method of ['GET', 'HEAD']) {
        expect((await fetch(s.url + path, { method })).status).toBe(404);
        const asOther = { 'x-session-id': other.sessionId };
        expect((await fetch(s.url + path, { method, headers: asOther })).status).toBe(404);
        const bogus = { 'x-session-id': 'nope' };
        expect((await fetch(s.url + path, { method, headers: bogus })).status).toBe(404);
        const asOwner = { 'x-session-id': sessionId };
        expect((await fetch(s.url + path, { method, headers: asOwner })).status).toBe(200);
        const cookie = { cookie: `theme=dark; vs_sid=${sessionId}` };
        expect((await fetch(s.url + path, { method, headers: cookie })).status).toBe(200);
      }
    }
    const ranged = await fetch(`${s.url}/videos/${vid}`, {
      headers: { 'x-session-id': sessionId, range: 'bytes=-16' },
    });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(sample.subarray(-16))).toBe(true);
    await s.stores.records.updateVideo(vid, { visibility: 'unlisted' });
    expect((await fetch(`${s.url}/videos/${vid}`)).status).toBe(200);
    expect((await fetch(`${s.url}/posters/${vid}`)).status).toBe(200);
  });
});
