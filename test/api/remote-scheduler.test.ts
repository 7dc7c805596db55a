/**
 * An api that does not run the scheduler hands deletions to SCHEDULER_URL with the shared token
 * (`POST /video-delete-record/:vid`, `Authorization: Bearer …`). If the scheduler refuses or is
 * down, the delete fails with 500 and the video stays listed: nothing is hidden that nothing
 * would ever remove.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mountApi } from '../../src/http/api/index.js';
import { request, startApp, type TestApp } from './harness.js';

let scheduler: Server;
let answer = 200;
const seen: Array<{
  method: string;
  url: string;
  auth: IncomingMessage['headers']['authorization'];
}> = [];
let api: TestApp;

beforeAll(async () => {
  scheduler = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
    req.resume();
    req.on('end', () => res.writeHead(answer).end());
  });
  await new Promise<void>((r) => scheduler.listen(0, '127.0.0.1', r));
  const { port } = scheduler.address() as { port: number };
  api = await startApp([mountApi], {
    only: ['api'],
    schedulerUrl: `http://127.0.0.1:${port}`,
    schedulerToken: 's3cret-token',
  });
});
afterAll(async () => {
  await api?.stop();
  scheduler?.closeAllConnections();
  await new Promise((r) => scheduler?.close(r));
});

async function userWithVideo(name: string) {
  const reg = await request(api.url, 'POST', '/user', {
    body: { user_name: name, pwd: 'password 1' },
  });
  const sid = reg.json.session_id as string;
  const me = await request(api.url, 'GET', `/user/${name}`, { sid });
  const v = await request(api.url, 'POST', `/user/${name}/videos`, {
    sid,
    body: { author_id: me.json.id, name: 'v' },
  });
  return { sid, vid: v.json.id as string };
}

it('records the deletion with the scheduler service over HTTP with the token', async () => {
  const { sid, vid } = await userWithVideo('remote1');
  answer = 200;
  seen.length = 0;
  const del = await request(api.url, 'DELETE', `/user/remote1/videos/${vid}`, { sid });
  expect(del.status).toBe(204);
  expect(seen).toEqual([
    { method: 'POST', url: `/video-delete-record/${vid}`, auth: 'Bearer s3cret-token' },
  ]);
  expect((await api.ctx.records.getVideo(vid))!.state).toBe('deleting');
  // Not queued locally: the scheduler service owns the record.
  expect(await api.ctx.queue.getDeletion(vid)).toBeUndefined();
});

it('keeps the video when the scheduler refuses, and says so with a 500', async () => {
  const { sid, vid } = await userWithVideo('remote2');
  answer = 503;
  const del = await request(api.url, 'DELETE', `/user/remote2/videos/${vid}`, { sid });
  expect(del.status).toBe(500);
  expect(del.json.error_code).toBe('004');
  const list = await request(api.url, 'GET', '/user/remote2/videos', { sid });
  expect(list.json.videos.map((v: { id: string }) => v.id)).toEqual([vid]);
});
