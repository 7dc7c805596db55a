/**
 * A thread abandoned by an HTTP host that gave up still counts when the process ends, though a
 * new host has replaced that one (src/server.ts leftRunning). Through the real command
 * (test/fixtures/http/host-crash-cli.ts: the HTTP host gives up at its second thread end) with
 * HTTP_THREADS=2 over loopback, the watchdog off (only the abandonment is under test).
 *
 * Thread S holds a request (/fault/hold-wedge: counted in flight, never answered) and wedges
 * when it is dropped. Two ends of the other thread make the host give up: S drains (its listener
 * closes), the test drops the request, S wedges with its app open and is abandoned; the server's
 * supervisor starts a new host on the same port, which serves. On SIGTERM the new host closes
 * cleanly, but S still runs: the process must end by SIGKILL after its log line, as for a thread
 * the current host abandoned. It exited normally before, and Node aborted tearing S down
 * (SIGABRT, `uv_loop_close() while having open handles`).
 */
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { get as ask } from './get.js';

const CLI = fileURLToPath(new URL('../fixtures/http/host-crash-cli.ts', import.meta.url));
const cleanups: Array<() => unknown> = [];
let server: TestServer | undefined;
afterAll(async () => {
  for (const c of cleanups.reverse()) c();
  if (server && server.child.exitCode === null && server.child.signalCode === null)
    server.child.kill('SIGKILL');
  await server?.stop();
});

/** A keep-alive connection and the thread (its threadId) it landed on. */
async function pinned(base: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => agent.destroy());
  const r = await ask(`${base}/fault/thread`, agent);
  expect(r.status).toBe(200);
  return { agent, thread: r.body };
}

it('a thread a given-up host abandoned makes the process end by SIGKILL after a new host served', async () => {
  const s = await startTestServer({
    cli: CLI,
    only: 'stream',
    env: { HTTP_THREADS: '2', HTTP_WATCHDOG_MS: '0', SHUTDOWN_GRACE_MS: '0', LOG_LEVEL: 'info' },
    timeoutMs: 120_000,
  });
  server = s;
  const stream = s.urls.stream!;
  const logged = (msg: string) => s.stdout().filter((l) => l.includes(`"msg":"${msg}"`)).length;

  // S holds the request: its headers and first bytes arrived, so it is in flight there.
  const S = await pinned(stream);
  const held = http.get(`${stream}/fault/hold-wedge`, { agent: S.agent });
  held.on('error', () => {});
  cleanups.push(() => held.destroy());
  const [res] = (await once(held, 'response')) as [http.IncomingMessage];
  expect(res.statusCode).toBe(200);
  res.on('error', () => {});

  /** Ends a thread other than S (a connection that landed elsewhere; bounded tries). */
  const endOther = async () => {
    const before = logged('HTTP thread ended; replacing it');
    for (let i = 0; i < 60; i++) {
      const c = await pinned(stream);
      if (c.thread === S.thread) continue;
      await expect(ask(`${stream}/fault/exit`, c.agent)).rejects.toThrow();
      await vi.waitFor(() => expect(logged('HTTP thread ended; replacing it')).toBe(before + 1), {
        timeout: 60_000,
        interval: 50,
      });
      return;
    }
    throw new Error('60 connections all landed on the holding thread');
  };
  await endOther(); // replaced: within the host's budget (1)
  await s.waitForLine((l) => l.msg === 'HTTP thread replaced', 60_000);
  await endOther(); // over it: the host gives up, closing S
  // S drains (its listener is closed); dropping the request now wedges it with its app open. Were
  // the drop late, S's close would drop the request at the deadline and wedge all the same.
  await s.waitForLine((l) => l.msg === 'draining: not ready', 60_000);
  held.destroy();

  // S is abandoned (after the drain deadline, and the extra wait if it still beat by then).
  await s.waitForLine((l) => l.msg === 'HTTP thread did not close in time: left running', 120_000);
  await s.waitForLine((l) => l.msg === 'restarted' && l.child === 'http', 120_000);
  await vi.waitFor(async () => expect((await ask(`${stream}/fault/thread`)).status).toBe(200), {
    timeout: 60_000,
    interval: 100,
  });

  const ended = once(s.child, 'close'); // after 'exit' and the end of its stdout and stderr
  s.child.kill('SIGTERM');
  const [code, signal] = await ended; // bounded by the test's timeout
  const out = `${s.stdout().slice(-20).join('\n')}\n${s.stderr()}`;
  expect({ code, signal }, out).toEqual({ code: null, signal: 'SIGKILL' });
  const killed = await s.waitForLine(
    (l) => l.msg === 'HTTP threads left running: ending the process with SIGKILL',
    10_000,
  );
  expect(killed).toMatchObject({ threads: 1, code: 0 });
  expect(s.stderr()).not.toMatch(/uv_loop_close|Assertion failed/);
}, 300_000);
