/**
 * The media step on a blob store without local files (GridFS on the test MongoDB, records on
 * MongoDB): the GridFS writer keeps a local copy of the upload, probed before the commit — a
 * video gets its metadata and poster (in GridFS beside it), a non-video is answered 415 and
 * never stored.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mountStream } from '../../src/http/stream/index.js';
import { posterBlobId } from '../../src/store/index.js';
import { startApp, type TestApp } from '../api/harness.js';
import { useMongoTestDb } from '../helpers/mongo.js';

const uri = useMongoTestDb('media');
let app: TestApp;
beforeAll(async () => {
  app = await startApp([mountStream], { only: ['stream'], mongodbUri: uri, blobStore: 'gridfs' });
});
afterAll(() => app?.stop());

it('probes before the commit: metadata and poster for a video, 415 and no blob for junk', async () => {
  const sample = await readFile(fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url)));
  const { records, blobs } = app.ctx;
  expect(blobs.localPath).toBeUndefined();
  const userId = randomUUID();
  const sid = randomUUID();
  const now = Date.now();
  await records.createUser({ id: userId, name: 'gridder', pwdHash: 'x', createdAt: now });
  await records.createSession({ id: sid, userId, userName: 'gridder', expiresAt: now + 600_000 });
  const upload = async (vid: string, body: Buffer) =>
    (
      await fetch(`${app.url}/upload/${vid}`, {
        method: 'POST',
        headers: { 'content-type': 'video/webm', 'x-session-id': sid },
        body,
      })
    ).status;

  const good = randomUUID();
  await records.createVideo({
    id: good,
    authorId: userId,
    name: 'g',
    createdAt: now,
    state: 'active',
  });
  expect(await upload(good, sample)).toBe(201);
  expect(await records.getVideo(good)).toMatchObject({ ready: true, durationMs: 4003, width: 320 });
  expect((await blobs.stat(posterBlobId(good)))?.contentType).toBe('image/jpeg');
  const poster = await fetch(`${app.url}/posters/${good}`);
  expect(poster.headers.get('content-type')).toBe('image/jpeg');

  const bad = randomUUID();
  await records.createVideo({
    id: bad,
    authorId: userId,
    name: 'b',
    createdAt: now,
    state: 'active',
  });
  // Fixed bytes: random ones are, once in a few hundred, something ffprobe can read.
  expect(await upload(bad, Buffer.alloc(50_000, 7))).toBe(415);
  expect(await blobs.stat(bad)).toBeUndefined();
  expect((await records.getVideo(bad))?.ready).toBe(false);
});
