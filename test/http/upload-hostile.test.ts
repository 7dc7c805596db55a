/**
 * Hostile and awkward upload bodies (issue 10, items 2 and 3), over real sockets:
 *   - every busboy refusal → 400 JSON with a message, nothing left on disk, the server still
 *     serving (these used to end the thread and then the process);
 *   - other form fields count toward MAX_UPLOAD_BYTES;
 *   - after an upload answer, the next request on the same keep-alive connection is answered
 *     (a small multipart upload in one packet used to leave the socket paused: ~10 s, then reset);
 *   - a trickling upload is not cut while bytes arrive.
 */
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipart, rawBytes, rawKeepAlive, rawRequest } from './raw-client.js';
import { eventually, fakeMp4, request, type Stack, startStack } from './stack.js';

const MAX = 256 * 1024;
let s: Stack;

beforeAll(async () => {
  s = await startStack({ maxUploadBytes: MAX });
});
afterAll(async () => {
  await s?.close();
});

async function traces(vid: string): Promise<string[]> {
  return (await readdir(join(s.dir, 'videos')).catch(() => [])).filter((n) => n.includes(vid));
}

async function owned(): Promise<{ vid: string; sessionId: string }> {
  const { userId, sessionId } = await s.user();
  return { vid: await s.video(userId), sessionId };
}

const B = 'XyZbound';
const file = fakeMp4(40_000);
const part = (name: string, data: Buffer | string, filename = '') =>
  Buffer.concat([
    Buffer.from(
      `--${B}\r\nContent-Disposition: form-data; name="${name}"${filename && `; filename="${filename}"`}\r\n\r\n`,
    ),
    Buffer.from(data),
    Buffer.from('\r\n'),
  ]);

/** [name, Content-Type, body]: each one busboy refuses. */
const MALFORMED: Array<[string, string, Buffer]> = [
  ['final boundary missing', `multipart/form-data; boundary=${B}`, part('file', file, 'a.mp4')],
  ['no boundary', 'multipart/form-data;', part('file', file, 'a.mp4')],
  ['empty boundary', 'multipart/form-data; boundary=', part('file', file, 'a.mp4')],
  [
    'file part truncated',
    `multipart/form-data; boundary=${B}`,
    part('file', file, 'a.mp4').subarray(0, 2000),
  ],
  [
    'other field truncated',
    `multipart/form-data; boundary=${B}`,
    Buffer.concat([part('file', file, 'a.mp4'), part('name', 'my video').subarray(0, 60)]),
  ],
  [
    'malformed part header',
    `multipart/form-data; boundary=${B}`,
    Buffer.from(`--${B}\r\nContent-Disposition form-data\r\n\r\nx\r\n--${B}--\r\n`),
  ],
  [
    'too many parts',
    `multipart/form-data; boundary=${B}`,
    Buffer.concat([
      ...Array.from({ length: 25 }, (_, i) => part(`f${i}`, 'v')),
      part('file', file, 'a.mp4'),
      Buffer.from(`--${B}--\r\n`),
    ]),
  ],
  [
    'two files',
    `multipart/form-data; boundary=${B}`,
    Buffer.concat([
      part('file', file, 'a.mp4'),
      part('file2', file, 'b.mp4'),
      Buffer.from(`--${B}--\r\n`),
    ]),
  ],
];

describe('malformed multipart bodies', () => {
  for (const [name, contentType, body] of MALFORMED) {
    it(`${name} → 400 JSON, no temp file, the server keeps serving`, async () => {
      const { vid, sessionId } = await owned();
      const [r] = await rawKeepAlive(s.port, [
        rawBytes(
          'POST',
          `/upload/${vid}`,
          { 'Content-Type': contentType, 'X-Session-Id': sessionId },
          body,
        ),
      ]);
      expect(r).not.toBe('closed');
      if (r === 'closed') return;
      expect(r.status).toBe(400);
      const json = JSON.parse(r.body);
      expect(json.error_code).toBe('001');
      expect(json.error).toMatch(/multipart|parts|file/i);
      await eventually(async () => (await traces(vid)).length === 0, 'temp file removal');
      expect((await request(`${s.url}/videos/${vid}`)).status).toBe(404);
    });
  }

  it('no token or in-flight request is left behind', async () => {
    await eventually(() => s.limiter!.inUse() === 0 && s.apps.inflight() === 0, 'tokens back');
  });
});

describe('form fields count toward MAX_UPLOAD_BYTES', () => {
  it('a small file after a field as big as the cap → 413', async () => {
    const { vid, sessionId } = await owned();
    const form = multipart([
      { name: 'description', data: 'd'.repeat(MAX) },
      { name: 'file', filename: 'a.mp4', data: fakeMp4(10_000) },
    ]);
    const r = await rawRequest(s.port, {
      path: `/upload/${vid}`,
      headers: { 'Content-Type': form.contentType, 'X-Session-Id': sessionId },
      body: form.body,
    });
    expect(r!.status).toBe(413);
    await eventually(async () => (await traces(vid)).length === 0, 'temp file removal');
  });
});

describe('keep-alive after an upload answer', () => {
  it('a small multipart upload in one packet → 201, then the next request on that connection', async () => {
    const { vid, sessionId } = await owned();
    const form = multipart([
      { name: 'name', data: 'v' },
      { name: 'file', filename: 'a.mp4', data: file },
    ]);
    const up = rawBytes(
      'POST',
      `/upload/${vid}`,
      { 'Content-Type': form.contentType, 'X-Session-Id': sessionId },
      form.body,
    );
    const get = rawBytes('GET', `/videos/${vid}`, {});
    const replies = await rawKeepAlive(s.port, [up, get, up, get]);
    expect(replies.map((r) => (r === 'closed' ? r : r.status))).toEqual([201, 200, 201, 200]);
  });

  it('a raw upload in one packet → 201, then the next request on that connection', async () => {
    const { vid, sessionId } = await owned();
    const up = rawBytes(
      'POST',
      `/upload/${vid}`,
      { 'Content-Type': 'video/mp4', 'X-Session-Id': sessionId },
      file,
    );
    const replies = await rawKeepAlive(s.port, [up, rawBytes('GET', `/videos/${vid}`, {})]);
    expect(replies.map((r) => (r === 'closed' ? r : r.status))).toEqual([201, 200]);
  });
});

describe('slow clients', () => {
  it('an upload trickling at ~4 KB/s for 15 s is not cut while bytes arrive', async () => {
    const { vid, sessionId } = await owned();
    const body = fakeMp4(60 * 1024);
    const sock = net.connect(s.port, '127.0.0.1');
    const reply = new Promise<string>((resolve, reject) => {
      let raw = '';
      sock.on('data', (d) => (raw += d.toString('latin1')));
      sock.on('close', () => resolve(raw));
      sock.on('error', reject);
    });
    await new Promise((r) => sock.once('connect', r));
    sock.write(
      `POST /upload/${vid} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: video/mp4\r\n` +
        `X-Session-Id: ${sessionId}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    // 1 KiB every 250 ms: a 60 KiB body takes 15 s, longer than uWS's 10 s idle timeout.
    for (let off = 0; off < body.length && !sock.destroyed; off += 1024) {
      sock.write(body.subarray(off, off + 1024));
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await reply).split('\r\n')[0]).toBe('HTTP/1.1 201 Created');
    expect((await request(`${s.url}/videos/${vid}`)).body.equals(body)).toBe(true);
  }, 60_000);

  it('an upload that goes idle is cut by the 10 s idle timeout: no temp file, token back', async () => {
    const { vid, sessionId } = await owned();
    const sock = net.connect(s.port, '127.0.0.1');
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.on('error', () => {});
    await new Promise((r) => sock.once('connect', r));
    sock.write(
      `POST /upload/${vid} HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\n` +
        `X-Session-Id: ${sessionId}\r\nContent-Length: 100000\r\n\r\n`,
    );
    sock.write(fakeMp4(20_000));
    await eventually(async () => (await traces(vid)).length > 0, 'temp file');
    await closed; // nothing more is sent: the server drops the connection
    await eventually(async () => (await traces(vid)).length === 0, 'temp file removal');
    await eventually(() => s.limiter!.inUse() === 0 && s.apps.inflight() === 0, 'token back');
  }, 60_000);
});
