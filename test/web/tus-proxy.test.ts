/**
 * tus through the web origin of a split deployment (web without the stream service): the
 * session cookie becomes X-Session-Id upstream, tus headers go both ways, bodies are streamed,
 * and the completed upload is the video on the stream service.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mountStream } from '../../src/http/stream/index.js';
import { mountWeb } from '../../src/http/web/index.js';
import { startApp, type TestApp } from '../api/harness.js';
import { tusCreate, tusOffset, tusPatch } from '../http/tus-client.js';

let stream: TestApp;
let web: TestApp;
beforeAll(async () => {
  stream = await startApp([mountStream], { only: ['stream'] });
  web = await startApp([mountWeb], { only: ['web'], apiUrl: stream.url, streamUrl: stream.url });
});
afterAll(async () => {
  await web?.stop();
  await stream?.stop();
});

it('creates, reports the offset and completes a tus upload through the web origin', async () => {
  const sample = await readFile(fileURLToPath(new URL('../fixtures/sample.webm', import.meta.url)));
  const records = stream.ctx.records;
  const userId = randomUUID();
  const sid = randomUUID();
  const vid = randomUUID();
  const now = Date.now();
  await records.createUser({ id: userId, name: 'proxied', pwdHash: 'x', createdAt: now });
  await records.createSession({ id: sid, userId, userName: 'proxied', expiresAt: now + 600_000 });
  await records.createVideo({
    id: vid,
    authorId: userId,
    name: 'v',
    createdAt: now,
    state: 'active',
  });
  const cookie = { cookie: `vs_sid=${sid}` };

  // A header session is ignored on the web origin: only the cookie counts.
  expect((await tusCreate(web.url, sid, sample.length, vid)).status).toBe(401);
  const c = await tusCreate(web.url, undefined, sample.length, vid, cookie);
  expect(c.status).toBe(201);
  expect(c.headers['tus-resumable']).toBe('1.0.0');
  const loc = c.headers.location as string;
  expect(loc).toMatch(/^\/files\/[0-9a-f]+$/);
  const half = 80_000;
  const p1 = await tusPatch(web.url, undefined, loc, 0, sample.subarray(0, half), half, cookie);
  expect(p1.status).toBe(204);
  expect(await tusOffset(web.url, undefined, loc, cookie)).toBe(half);
  const rest = sample.subarray(half);
  const p2 = await tusPatch(web.url, undefined, loc, half, rest, rest.length, cookie);
  expect(p2.status).toBe(204);
  const v = await fetch(`${web.url}/videos/${vid}`);
  expect(Buffer.from(await v.arrayBuffer()).equals(sample)).toBe(true);
  expect((await fetch(`${web.url}/posters/${vid}`)).headers.get('content-type')).toBe('image/jpeg');
});
