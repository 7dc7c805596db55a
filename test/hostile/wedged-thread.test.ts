/**
 * Shutdown with a wedged HTTP thread (its event loop blocked for good: the test's /fault/wedge
 * route, test/fixtures/http/fault-routes.ts, through the real command; the watchdog is off here,
 * HTTP_WATCHDOG_MS=0, so SIGTERM is what ends it — wedged-watchdog.test.ts covers the watchdog).
 * Such a thread never reads its close command and cannot be terminated (Node aborts on a thread
 * holding uWS handles). What must hold: /health/live names it stale, and SIGTERM still ends the
 * process — the host abandons the thread after the drain deadline, saying so, instead of waiting
 * for it forever (it did: the events channel's pending read kept the process alive), and the
 * process ends itself by SIGKILL after a log line: a normal exit would tear the thread down,
 * which fails Node's open-handles check (SIGABRT and a core dump, as it did before).
 */
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tryGet } from './get.js';

const CLI = fileURLToPath(new URL('../fixtures/http/host-crash-cli.ts', import.meta.url));
let server: TestServer | undefined;
afterAll(async () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null)
    server.child.kill('SIGKILL');
  await server?.stop();
});

it('SIGTERM with a wedged thread: the host abandons it after the deadline and the process ends', async () => {
  const s = await startTestServer({
    cli: CLI,
    only: 'stream',
    env: {
      HTTP_THREADS: '2',
      SHUTDOWN_GRACE_MS: '0',
      HOST_RESTART_INTENSITY: '20',
      HTTP_WATCHDOG_MS: '0',
    },
    timeoutMs: 120_000,
  });
  server = s;
  const stream = s.urls.stream!;
  const wedge = http.get(`${stream}/fault/wedge`, { agent: false });
  wedge.on('error', () => {});
  // The other thread reports the wedged one stale on /health/live (the main thread may show up
  // too on a starved machine; only the HTTP slots matter here).
  const stale = await vi.waitFor(
    async () => {
      const r = await tryGet(`${stream}/health/live`);
      expect(r?.status).toBe(503);
      const names = (JSON.parse(r!.body) as { stale: string[] }).stale;
      const threads = names.filter((n) => n.startsWith('http#'));
      expect(threads).toHaveLength(1);
      return threads[0]!;
    },
    { timeout: 120_000, interval: 200 },
  );
  expect(stale).toMatch(/^http#[01]$/);
  const wedged = Number(stale.slice('http#'.length));

  const ended = once(s.child, 'close'); // after 'exit' and the end of its stdout and stderr
  s.child.kill('SIGTERM');
  const left = await s.waitForLine(
    (l) => l.msg === 'HTTP thread did not close in time: left running',
    120_000,
  );
  expect(left).toMatchObject({ httpThread: wedged, thread: 0 });
  const killed = await s.waitForLine(
    (l) => l.msg === 'HTTP threads left running: ending the process with SIGKILL',
    120_000,
  );
  expect(killed).toMatchObject({ threads: 1, code: 0 });
  const [code, signal] = await ended; // bounded by the test's timeout
  expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' }); // was SIGABRT
  expect(s.stderr()).not.toMatch(/uv_loop_close|Assertion failed/);
  wedge.destroy();
}, 300_000);
