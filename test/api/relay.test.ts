/**
 * The web front's `/api` relay is not an open relay: only api paths, only their methods, only
 * same-origin JSON. The front here is split from its api, whose URL points at a recording HTTP
 * server, so the test sees exactly what (if anything) the relay forwards.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountWeb } from '../../src/http/web/index.js';
import { startApp, type TestApp } from './harness.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let upstream: Server;
let seen: Seen[] = [];
let front: TestApp;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const addr = upstream.address() as { port: number };
  const base = `http://127.0.0.1:${addr.port}`;
  front = await startApp([mountWeb], { only: ['web'], apiUrl: base, streamUrl: base });
});
afterAll(async () => {
  await front?.stop();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
});

async function relay(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${front.url}/api`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

describe('/api relay', () => {
  it('forwards an api path with the cookie as X-Session-Id and nothing else of the caller', async () => {
    seen = [];
    const sid = '11111111-2222-4333-8444-555555555555';
    const r = await relay(
      { url: '/user/alice', method: 'get', req_body: '' },
      { cookie: `other=1; vs_sid=${sid}`, 'x-user-name': 'root', 'x-session-id': 'spoofed' },
    );
    expect(r.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/user/alice' });
    expect(seen[0]!.headers['x-session-id']).toBe(sid);
    expect(seen[0]!.headers['x-user-name']).toBeUndefined();
    expect(seen[0]!.headers.cookie).toBeUndefined();
  });

  it('forwards req_body as the JSON body', async () => {
    seen = [];
    await relay({ url: '/user', method: 'POST', req_body: '{"user_name":"x","pwd":"y"}' });
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/user',
      body: '{"user_name":"x","pwd":"y"}',
    });
    expect(seen[0]!.headers['content-type']).toBe('application/json');
  });

  const vid = '11111111-2222-4333-8444-555555555555';
  const refused: Array<[string, unknown]> = [
    ['the scheduler (GET)', { url: `/video-delete-record/${vid}`, method: 'GET' }],
    ['the scheduler (POST)', { url: `/video-delete-record/${vid}`, method: 'POST' }],
    ['the scheduler stats', { url: '/stats', method: 'GET' }],
    ['another host', { url: 'http://evil.example/', method: 'GET' }],
    ['another host with an api path', { url: 'http://evil.example/user/alice', method: 'GET' }],
    ['a scheme-relative URL', { url: '//evil.example/x', method: 'GET' }],
    ['a scheme-relative api path', { url: '//evil.example/user', method: 'POST' }],
    ['a backslash host', { url: '/\\evil.example/user', method: 'POST' }],
    ['a dot segment', { url: `/user/../video-delete-record/${vid}`, method: 'GET' }],
    ['an encoded slash', { url: '/user/a%2f..%2fstats', method: 'GET' }],
    ['a query that is not plain parameters', { url: '/user/alice?x=/../y', method: 'GET' }],
    ['a fragment', { url: '/user/alice#x', method: 'GET' }],
    ['a stream path', { url: `/upload/${vid}`, method: 'POST' }],
    ['the relay itself', { url: '/api', method: 'POST' }],
    ['a disallowed method', { url: '/user/alice', method: 'PUT' }],
    ['TRACE', { url: '/user/alice', method: 'TRACE' }],
    ['CONNECT', { url: '/user/alice', method: 'CONNECT' }],
    ['a method the route does not have', { url: '/user', method: 'GET' }],
    ['a non-string url', { url: ['/user'], method: 'GET' }],
    ['a missing method', { url: '/user' }],
    ['not an object', '["/user","POST"]'],
    ['malformed JSON', '{"url": "/user"'],
  ];
  it.each(refused)('refuses %s with 400 and forwards nothing', async (_name, body) => {
    seen = [];
    const r = await relay(body);
    expect(r.status).toBe(400);
    expect(r.json.error_code).toBe('001');
    expect(typeof r.json.error).toBe('string');
    expect(seen).toEqual([]);
  });

  it('refuses other media types (415), other origins (403) and oversized bodies (413)', async () => {
    seen = [];
    const form = await fetch(`${front.url}/api`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'url=/user&method=POST',
    });
    expect(form.status).toBe(415);
    const cross = await relay(
      { url: '/user/alice', method: 'GET' },
      { origin: 'http://evil.example' },
    );
    expect(cross.status).toBe(403);
    expect(cross.json.error_code).toBe('006');
    const big = await relay({ url: '/user', method: 'POST', req_body: 'x'.repeat(64 * 1024) });
    expect(big.status).toBe(413);
    expect(seen).toEqual([]);
    const same = await relay({ url: '/user/alice', method: 'GET' }, { origin: front.url });
    expect(same.status).toBe(200);
  });
});
