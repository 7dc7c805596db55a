/**
 * Issue 10 item 8: an upload that completes after its video was deleted is refused (409) and
 * leaves no file. The body is held half-sent until the server has opened the blob writer (a temp
 * file appears), the video is deleted the way the api does it, then the body is completed.
 */

import { readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeWebm, readFile, type Stack, startStack } from './stack.js';

let s: Stack;
let webm: Buffer;

beforeAll(async () => {
  s = await startStack();
  webm = await readFile(makeWebm(s.dir));
});
afterAll(async () => {
  await s?.close();
});

const traces = async (vid: string) =>
  (await readdir(join(s.dir, 'videos'))).filter((n) => n.includes(vid));

/** Sends the first half of `body`, runs `between` once the writer is open, then the rest. */
function halfThenRest(
  vid: string,
  sessionId: string,
  body: Buffer,
  between: () => Promise<void>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: s.port,
        method: 'POST',
        path: `/upload/${vid}`,
        headers: {
          'Content-Type': 'video/webm',
          'Content-Length': body.length,
          'X-Session-Id': sessionId,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.subarray(0, half));
    between().then(() => req.end(body.subarray(half)), reject);
  });
}

describe('upload vs deletion', () => {
  it('an upload finishing after its video was deleted is refused 409 and leaves no file', async () => {
    expect(webm.length).toBeGreaterThan(8 * 1024); // past the sniff window: the writer opens
    const { userId, sessionId } = await s.user();
    const vid = await s.video(userId);
    const res = await halfThenRest(vid, sessionId, webm, async () => {
      await eventually(async () => (await traces(vid)).length > 0, 'the temp file');
      await s.stores.queue.enqueueDeletion(vid);
      expect(await s.stores.records.markVideoDeleting(vid)).toBe(true);
    });
    expect(res.status).toBe(409);
    expect(JSON.parse(res.body)).toMatchObject({ error_code: '007' });
    expect(await traces(vid)).toEqual([]);
    expect(await s.stores.blobs.stat(vid)).toBeUndefined();
  });

  it('the same upload without a deletion is stored (the check does not refuse live videos)', async () => {
    const { userId, sessionId } = await s.user();
    const vid = await s.video(userId);
    const res = await halfThenRest(vid, sessionId, webm, async () => {
      await eventually(async () => (await traces(vid)).length > 0, 'the temp file');
    });
    expect(res.status).toBe(201);
    expect((await s.stores.blobs.stat(vid))?.size).toBe(webm.length);
  });
});
