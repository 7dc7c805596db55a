/**
 * The embedded throttle is one budget per process however many HTTP threads serve it: the real
 * `video-server start` with two HTTP threads (SO_REUSEPORT spreads connections over them), twelve
 * sign-in attempts from one address on twelve fresh connections at once, a budget of six. Per-thread
 * memory counters would let up to twelve through; the LMDB counters let exactly six through.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    only: 'api',
    env: { HTTP_THREADS: '2', RATE_LIMITS: 'sign-in-address=6/600,sign-in-account=100/600' },
  });
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
});

/** One sign-in on its own connection (no keep-alive agent), so the kernel picks a thread. */
function signIn(base: string, name: string): Promise<{ status: number; retryAfter?: string }> {
  const body = JSON.stringify({ user_name: name, pwd: 'not the password' });
  return new Promise((resolve, reject) => {
    const req = request(`${base}/user/${name}`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] }),
      );
    });
    req.end(body);
  });
}

it('lets exactly the configured number of attempts through across threads', async () => {
  const base = server.urls.api!;
  const answers = await Promise.all(
    Array.from({ length: 12 }, (_, i) => signIn(base, `nobody${i}`)),
  );
  const statuses = answers.map((a) => a.status).sort();
  expect(statuses).toEqual([...Array(6).fill(401), ...Array(6).fill(429)]);
  for (const a of answers.filter((x) => x.status === 429)) {
    expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
  }
});
