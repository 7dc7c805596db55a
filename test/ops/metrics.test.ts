/**
 * Issue 14, metrics: one scrape sums every HTTP thread (1,000 requests over two threads → 1,000),
 * and a limiter refusal (429) and a finished deletion move their counters. Parsed with
 * parse-prometheus-text-format.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freePort, scrape, total } from './prom.js';

/** The api's JSON 404 body. */
const NOT_FOUND_BYTES = Buffer.byteLength(
  JSON.stringify({ error: 'Not found', error_code: '005' }),
);

let s: TestServer;
let metrics: string;

beforeAll(async () => {
  const port = await freePort();
  s = await startTestServer({
    env: {
      HTTP_THREADS: '2',
      METRICS_PORT: String(port),
      STREAM_MAX_CONNS: '1',
      LOG_LEVEL: 'debug',
    },
  });
  metrics = s.urls.metrics!;
}, 120_000);
afterAll(async () => {
  await s?.stop();
});

/** One request on its own connection (the kernel spreads connections over the threads). */
function getOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end();
  });
}

async function api(method: string, path: string, opts: { sid?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (opts.sid) headers['x-session-id'] = opts.sid;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(s.urls.api + path, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function userWithVideo(name: string) {
  const reg = await api('POST', '/user', { body: { user_name: name, pwd: 'password 1' } });
  const sid = reg.json.session_id as string;
  const me = await api('GET', `/user/${name}`, { sid });
  const v = await api('POST', `/user/${name}/videos`, {
    sid,
    body: { author_id: me.json.id, name: 'v' },
  });
  expect(v.status).toBe(201);
  return { sid, vid: v.json.id as string };
}

describe('metrics', () => {
  it('exposes the Prometheus text format with process, limiter and thread metrics', async () => {
    const families = await scrape(metrics);
    const names = families.map((f) => f.name);
    for (const n of [
      'process_cpu_seconds_total',
      'limiter_tokens',
      'scheduler_rounds_total',
      'thread_event_loop_delay_seconds',
      'metrics_scrape_missing_threads',
    ])
      expect(names).toContain(n);
    expect(total(families, 'limiter_tokens', { kind: 'capacity' })).toBe(1);
    expect(total(families, 'metrics_scrape_missing_threads')).toBe(0);
  });

  it('1,000 requests over both threads → the scrape counts 1,000', {
    timeout: 120_000,
  }, async () => {
    const beforeAll404 = await scrape(metrics);
    const before = total(beforeAll404, 'http_requests_total', { service: 'api', status: '404' });
    const url = `${s.urls.api}/ops-metrics-missing`;
    for (let i = 0; i < 1000; i += 50) {
      const statuses = await Promise.all(Array.from({ length: 50 }, () => getOnNewConnection(url)));
      expect(statuses.every((c) => c === 404)).toBe(true);
    }
    const families = await scrape(metrics);
    const counted = total(families, 'http_requests_total', { service: 'api', status: '404' });
    expect(counted - before).toBe(1000);
    // Both threads served some: the sum is not one thread's count.
    const threads = new Set(
      s
        .stdout()
        .map((l) => JSON.parse(l) as { msg?: string; route?: string; thread: number })
        .filter((l) => l.msg === 'request' && l.route === '/*')
        .map((l) => l.thread),
    );
    expect(threads.size).toBe(2);
    // The 404 body is the same every time: the byte counter moved by exactly 1,000 of them.
    const bytes = (f: typeof families) =>
      total(f, 'http_response_bytes_total', { service: 'api', route: '/*' });
    expect(bytes(families) - bytes(beforeAll404)).toBe(1000 * NOT_FOUND_BYTES);
  });

  it('a 429 and a deletion move their counters', { timeout: 120_000 }, async () => {
    const { sid, vid } = await userWithVideo('ops-metrics');
    const before = await scrape(metrics);

    // Hold the only limiter token with an upload whose body never finishes…
    const upload = httpRequest(`${s.urls.stream}/upload/${vid}`, {
      method: 'POST',
      agent: false,
      headers: { 'x-session-id': sid, 'content-type': 'video/mp4', 'content-length': '1000000' },
    });
    upload.on('error', () => {});
    const head = Buffer.alloc(1000);
    head.write('ftypisom', 4, 'latin1'); // an mp4's first box: the upload passes the sniff
    upload.write(head);
    // The token is held while the upload lives: a byte a second keeps its connection short of
    // uWS's 10 s idle timeout however long the steps below take on a loaded machine.
    const trickle = setInterval(() => upload.write(Buffer.alloc(1)), 1000);
    onTestFinished(() => clearInterval(trickle));
    // …observed through the limiter's own gauge (the upload is admitted when its headers arrive)…
    const deadline = Date.now() + 60_000;
    while (total(await scrape(metrics), 'limiter_tokens', { kind: 'in_use' }) !== 1) {
      if (Date.now() > deadline) throw new Error('the upload never took the limiter token');
      await new Promise((r) => setTimeout(r, 50));
    }
    // …then a download is refused.
    const status = await getOnNewConnection(`${s.urls.stream}/videos/${vid}`);
    expect(status).toBe(429);
    clearInterval(trickle);
    upload.destroy();
    // The stream thread's access line for the aborted upload: its counters have moved by then.
    await s.waitForLine((l) => l.msg === 'request' && l.route === '/upload/:vid' && !!l.aborted);

    const del = await api('DELETE', `/user/ops-metrics/videos/${vid}`, { sid });
    expect(del.status).toBe(204);
    await s.waitForLine((l) => l.msg === 'video deleted' && l.video === vid, 60_000);
    // The executor logs the deletion before its round's counters reach the stats board: scrape
    // until the done counter moves (or the deadline says it never does).
    const done = (f: typeof before) =>
      total(f, 'scheduler_done_total', { runner: 'video-cleanup' });
    let after = await scrape(metrics);
    for (const until = Date.now() + 30_000; done(after) === done(before) && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 100));
      after = await scrape(metrics);
    }
    expect(total(after, 'limiter_rejected_total') - total(before, 'limiter_rejected_total')).toBe(
      1,
    );
    const rejected429 = (f: typeof after) =>
      total(f, 'http_requests_total', { service: 'stream', status: '429' });
    expect(rejected429(after) - rejected429(before)).toBe(1);
    const failed = (f: typeof after) => total(f, 'upload_failures_total');
    expect(failed(after) - failed(before)).toBe(1);
    expect(done(after) - done(before)).toBe(1);
    expect(total(after, 'scheduler_deletion_queue', { state: 'pending' })).toBe(0);
  });
});
