/**
 * A successful sign-in lifts that account's in-memory block in every HTTP thread of the process,
 * and no other account's (src/http/api/throttle.ts), through the real command with
 * HTTP_THREADS=2 over loopback.
 *
 * The race it covers: thread B refuses an account from memory once it saw the stored counter over
 * budget; that can happen while a sign-in with the right password is between its own spend and
 * its success on thread A (the success then clears the stored counter). Before, B kept refusing
 * the account for the rest of the window (600 s here) though its counter was back to 0.
 *
 * Set-up: two keep-alive connections pinned to different threads (the fault route /fault/thread
 * names the thread; every response's socket is checked to be the pinned one). Per try, a fresh
 * account: two wrong attempts on A (counter 2 of 3), then the right password on A and a wrong one
 * on B at once. The outcome tells the order: A 200 with B 429 means B spent after A's spend and
 * before A's success, so B holds the block. Other orders (B first: A 429, B 401; B after A's
 * success: A 200, B 401) are retried with a new account; the outcome is checked, never assumed.
 * Then: the right password on B must get 200 (polled: A's thread tells the host, which relays a
 * command to B's thread; nothing says when B has read it).
 *
 * A bystander account is blocked on B beforehand (three wrong attempts: its stored counter is 3,
 * B refuses it from memory). It must stay blocked there — 429 — and from memory: its stored
 * counter (read from the server's DATA_DIR through the record store's rate limiter, as the
 * server does) stays 3. Lifting every block on each success, as before, cost it a store write
 * per refused attempt (its counter moved to 4 and on).
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';
import { foldUserName, LmdbRecordStore } from '../../src/store/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../fixtures/http/host-crash-cli.ts', import.meta.url));
let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
});

interface Reply {
  status: number;
  body: string;
  socket: Socket;
}

/** One keep-alive connection (an agent with a single socket). */
function connection(base: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const call = (method: string, path: string, body?: unknown) =>
    new Promise<Reply>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(`${base}${path}`, { method, agent, timeout: 60_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: text, socket: res.socket }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
      req.on('error', reject);
      if (data) req.setHeader('content-type', 'application/json');
      req.end(data);
    });
  return { agent, call };
}

type Conn = ReturnType<typeof connection> & { thread: string; socket: Socket };

async function pinned(base: string): Promise<Conn> {
  const c = connection(base);
  const r = await c.call('GET', '/fault/thread');
  expect(r.status).toBe(200);
  return { ...c, thread: r.body, socket: r.socket };
}

it('a success on one thread lifts the account block another thread holds (HTTP_THREADS=2)', async () => {
  const s = await startTestServer({
    cli: CLI,
    only: 'api',
    env: {
      HTTP_THREADS: '2',
      FAULT_SERVICE: 'api',
      RATE_LIMITS: 'sign-in-account=3/600,sign-in-address=100000/600,sign-up-address=100000/600',
    },
    timeoutMs: 120_000,
  });
  server = s;
  const base = s.urls.api!;
  // Two connections on different threads (the kernel spreads new connections; bounded tries).
  const a = await pinned(base);
  let b: Conn | undefined;
  for (let i = 0; i < 60 && !b; i++) {
    const c = await pinned(base);
    if (c.thread !== a.thread) b = c;
    else c.agent.destroy();
  }
  if (!b) throw new Error('60 connections all landed on one thread');
  const B = b;
  const on = async (c: Conn, method: string, path: string, body?: unknown) => {
    const r = await c.call(method, path, body);
    expect(r.socket).toBe(c.socket); // still the pinned connection, so still its thread
    return r;
  };
  const signIn = (c: Conn, name: string, pwd: string) =>
    on(c, 'POST', `/user/${name}`, { user_name: name, pwd });

  // The bystander: blocked on B (its third wrong attempt reaches the budget), refused from memory.
  const bystander = 'bystander';
  expect(
    (await on(a, 'POST', '/user', { user_name: bystander, pwd: 'right password' })).status,
  ).toBe(201);
  for (let k = 0; k < 3; k++) expect((await signIn(B, bystander, 'wrong pass')).status).toBe(401);
  expect((await signIn(B, bystander, 'right password')).status).toBe(429);

  let raced: string | undefined;
  for (let i = 0; i < 30 && !raced; i++) {
    const name = `racer${i}`;
    expect((await on(a, 'POST', '/user', { user_name: name, pwd: 'right password' })).status).toBe(
      201,
    );
    for (let k = 0; k < 2; k++) expect((await signIn(a, name, 'wrong pass')).status).toBe(401);
    const [right, wrong] = await Promise.all([
      signIn(a, name, 'right password'),
      signIn(B, name, 'wrong pass'),
    ]);
    if (right.status === 200 && wrong.status === 429) raced = name;
    // Retried: B spent first (A then over budget), or B spent after A's success cleared it.
    else
      expect([
        [429, 401],
        [200, 401],
      ]).toContainEqual([right.status, wrong.status]);
  }
  if (!raced) throw new Error('30 tries: the wrong attempt never fell inside the success');

  // The stored counter is 0 again (A's success cleared it): B must admit the account again.
  await vi.waitFor(
    async () => expect((await signIn(B, raced!, 'right password')).status).toBe(200),
    {
      timeout: 30_000,
      interval: 100,
    },
  );
  // The bystander is still blocked on B, and from memory: its stored counter did not move.
  expect((await signIn(B, bystander, 'right password')).status).toBe(429);
  const records = LmdbRecordStore.open(s.dataDir);
  try {
    const counter = records.rateLimiter({
      keyPrefix: 'sign-in-account',
      points: 3,
      durationSec: 600,
    });
    expect((await counter.get(foldUserName(bystander)))?.consumedPoints).toBe(3);
  } finally {
    await records.close();
  }
  a.agent.destroy();
  B.agent.destroy();
}, 300_000);
