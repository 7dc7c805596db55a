/**
 * Issue 14, logs: a whole server run (all services, two HTTP threads, info level) writes only JSON
 * lines; a request id given by the caller comes back, is in the access line, and reaches the
 * scheduler's lines about the deletion it caused — recorded, and the executor's "video deleted"
 * through the deletion record (api and scheduler in two processes, and in one).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { duplicateKeys } from '../helpers/json-keys.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

async function start(opts: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer(opts);
  servers.push(s);
  return s;
}

async function call(
  base: string,
  method: string,
  path: string,
  opts: { sid?: string; body?: unknown; reqId?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (opts.sid) headers['x-session-id'] = opts.sid;
  if (opts.reqId) headers['x-request-id'] = opts.reqId;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { res, json: text ? JSON.parse(text) : undefined };
}

async function userWithVideo(api: string, name: string) {
  const reg = await call(api, 'POST', '/user', { body: { user_name: name, pwd: 'password 1' } });
  expect(reg.res.status).toBe(201);
  const sid = reg.json.session_id as string;
  const me = await call(api, 'GET', `/user/${name}`, { sid });
  const v = await call(api, 'POST', `/user/${name}/videos`, {
    sid,
    body: { author_id: me.json.id, name: 'v' },
  });
  expect(v.res.status).toBe(201);
  return { sid, userId: me.json.id as string, vid: v.json.id as string };
}

describe('logs', () => {
  it('every line of a full server run is JSON, worker threads included', {
    timeout: 120_000,
  }, async () => {
    const s = await start({ env: { LOG_LEVEL: 'debug', HTTP_THREADS: '2' } });
    const api = s.urls.api!;
    await userWithVideo(api, 'ops-json');
    await fetch(`${s.urls.web}/`);
    await fetch(`${s.urls.stream}/videos/${randomUUID()}`);
    for (let i = 0; i < 20; i++) await fetch(`${api}/nothing-here-${i}`);
    // Wait for an access line from an HTTP thread, so worker-thread output is in the sample.
    await s.waitForLine((l) => l.msg === 'request' && l.thread !== 0);
    expect(await s.stop()).toBe(0);
    const lines = s.stdout();
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) {
      let parsed: unknown;
      expect(() => {
        parsed = JSON.parse(line);
      }, line).not.toThrow();
      expect(parsed).toMatchObject({ level: expect.any(Number), time: expect.any(Number) });
      expect(duplicateKeys(line), line).toEqual([]);
    }
    expect(s.stderr()).toBe('');
    const threads = new Set(lines.map((l) => (JSON.parse(l) as { thread: number }).thread));
    expect(threads.size).toBeGreaterThan(1);
  });

  it('a given request id is returned, in the access line, and in the scheduler line it caused', {
    timeout: 120_000,
  }, async () => {
    const token = { SCHEDULER_TOKEN: 'ops-scheduler-token' };
    // debug: the executor's "video deleted" line is a debug line (one per deletion).
    const back = await start({ only: 'scheduler', env: { LOG_LEVEL: 'debug', ...token } });
    const front = await start({
      only: 'api',
      dataDir: back.dataDir,
      env: { LOG_LEVEL: 'info', SCHEDULER_URL: back.urls.scheduler!, ...token },
    });
    const api = front.urls.api!;
    const { sid, userId, vid } = await userWithVideo(api, 'ops-reqid');
    const reqId = `ops-${randomUUID()}`;
    const del = await call(api, 'DELETE', `/user/ops-reqid/videos/${vid}`, { sid, reqId });
    expect(del.res.status).toBe(204);
    expect(del.res.headers.get('x-request-id')).toBe(reqId);

    const access = await front.waitForLine((l) => l.msg === 'request' && l.reqId === reqId);
    expect(access).toMatchObject({
      method: 'DELETE',
      route: expect.stringContaining('/videos/'),
      status: 204,
      user: userId,
      bytes: 0,
      ms: expect.any(Number),
    });
    const scheduled = await back.waitForLine((l) => l.reqId === reqId && l.msg !== 'request');
    expect(scheduled).toMatchObject({ msg: 'deletion recorded', video: vid });
    // …and the scheduler's own access line for the forwarded call.
    await back.waitForLine((l) => l.msg === 'request' && l.reqId === reqId && l.status === 200);
    // The executor (its own thread, no request scope) reads the id from the deletion record.
    const deleted = await back.waitForLine((l) => l.msg === 'video deleted' && l.video === vid);
    expect(deleted.reqId).toBe(reqId);
  });

  it('in one process, the request id reaches the line about the deletion it caused', {
    timeout: 120_000,
  }, async () => {
    const s = await start({ env: { LOG_LEVEL: 'debug' } });
    const api = s.urls.api!;
    const { sid, vid } = await userWithVideo(api, 'ops-reqid-one');
    const reqId = `ops-one-${randomUUID()}`;
    const del = await call(api, 'DELETE', `/user/ops-reqid-one/videos/${vid}`, { sid, reqId });
    expect(del.res.status).toBe(204);
    const recorded = await s.waitForLine((l) => l.msg === 'deletion recorded' && l.video === vid);
    expect(recorded.reqId).toBe(reqId);
    const deleted = await s.waitForLine((l) => l.msg === 'video deleted' && l.video === vid);
    expect(deleted).toMatchObject({ reqId, scope: 'scheduler.video-cleanup' });
  });

  it('an unsafe request id is replaced by a generated one', async () => {
    const s = await start({ only: 'api', env: { LOG_LEVEL: 'info' } });
    const given = 'bad id with spaces';
    const res = await fetch(`${s.urls.api}/nowhere`, { headers: { 'x-request-id': given } });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await s.waitForLine((l) => l.msg === 'request' && l.reqId === id && l.status === 404);
  });

  it('ACCESS_LOG=off writes no access line', async () => {
    const s = await start({ only: 'api', env: { LOG_LEVEL: 'info', ACCESS_LOG: 'off' } });
    const res = await fetch(`${s.urls.api}/nowhere`, { headers: { 'x-request-id': 'quiet-1' } });
    expect(res.headers.get('x-request-id')).toBe('quiet-1');
    await res.text();
    expect(await s.stop()).toBe(0);
    expect(s.stdout().some((l) => l.includes('"msg":"request"'))).toBe(false);
  });

  it('every request of a run has exactly one access line, even when the process stops at once', {
    timeout: 120_000,
  }, async () => {
    // Access lines are made in batches and written in batches: stopping right after the last
    // response must still drain both (at thread exit), losing and repeating nothing.
    const s = await start({ env: { LOG_LEVEL: 'info', HTTP_THREADS: '2' } });
    const ids: string[] = [];
    for (let round = 0; round < 10; round++) {
      const batch = Array.from({ length: 30 }, (_, i) => `drain-${round}-${i}-${randomUUID()}`);
      ids.push(...batch);
      const statuses = await Promise.all(
        batch.map(async (id) => {
          const res = await fetch(`${s.urls.stream}/videos/${randomUUID()}`, {
            headers: { 'x-request-id': id },
          });
          await res.arrayBuffer();
          return res.status;
        }),
      );
      expect(new Set(statuses)).toEqual(new Set([404]));
    }
    expect(await s.stop()).toBe(0);
    const seen = new Map<string, number>();
    for (const line of s.stdout()) {
      const l = JSON.parse(line) as { msg?: string; reqId?: string; status?: number };
      if (l.msg === 'request' && l.reqId?.startsWith('drain-')) {
        expect(l.status).toBe(404);
        seen.set(l.reqId, (seen.get(l.reqId) ?? 0) + 1);
      }
    }
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
    expect(ids.filter((id) => !seen.has(id))).toEqual([]);
  });
});
