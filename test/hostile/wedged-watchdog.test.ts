/**
 * The HTTP host's watchdog through the real command (test/fixtures/http/host-crash-cli.ts: the
 * real CLI with the fault routes mounted; HTTP over loopback). A thread wedged at run time keeps
 * its SO_REUSEPORT listener, so the process must end for the service manager to restart it:
 * the watchdog logs the thread and how long it was silent, the shutdown turns readiness 503 on
 * the healthy thread, and the process ends by SIGKILL (documented in README "Faults"; a normal
 * exit would abort tearing the wedged thread down). A thread that is busy but yields is never
 * declared wedged. The deadline (8 s) is far above the 1 s heartbeat and the scheduling noise of
 * a loaded machine; every wait is a bounded poll or an awaited event, never a sleep.
 */
import { once } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it, vi } from 'vitest';
import { duplicateKeys } from '../helpers/json-keys.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { tryGet } from './get.js';

const CLI = fileURLToPath(new URL('../fixtures/http/host-crash-cli.ts', import.meta.url));
const WATCHDOG_MS = 8000;
let server: TestServer | undefined;
afterEach(async () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null)
    server.child.kill('SIGKILL');
  await server?.stop();
  server = undefined;
});

const start = (env: Record<string, string>) =>
  startTestServer({
    cli: CLI,
    only: 'stream',
    env: { HTTP_THREADS: '2', HOST_RESTART_INTENSITY: '20', ...env },
    timeoutMs: 120_000,
  });

it('a thread wedged at run time: the watchdog names it, readiness turns 503, the process ends by SIGKILL', async () => {
  const s = await start({ HTTP_WATCHDOG_MS: String(WATCHDOG_MS), SHUTDOWN_GRACE_MS: '30000' });
  server = s;
  const stream = s.urls.stream!;
  const ended = once(s.child, 'close'); // after 'exit' and the end of its stdout and stderr
  const wedge = http.get(`${stream}/fault/wedge`, { agent: false });
  wedge.on('error', () => {});

  const wedged = await s.waitForLine(
    (l) => l.msg === 'HTTP thread wedged: the process must end',
    120_000,
  );
  expect(wedged.httpThread === 0 || wedged.httpThread === 1).toBe(true);
  // The host's own field names the HTTP thread; pino's base `thread` (the writer) stays whole.
  expect(wedged.thread).toBe(0);
  for (const line of s.stdout()) expect(duplicateKeys(line), line).toEqual([]);
  expect(wedged.silentMs).toBeGreaterThan(WATCHDOG_MS);
  expect(wedged.deadlineMs).toBe(WATCHDOG_MS);
  // The shutdown's readiness grace: the healthy thread answers 503, draining (half the fresh
  // connections still land on the wedged thread and get no answer: tryGet retries).
  await vi.waitFor(
    async () => {
      const r = await tryGet(`${stream}/health/ready`);
      expect(r?.status).toBe(503);
      expect(JSON.parse(r!.body)).toMatchObject({ draining: true });
    },
    { timeout: 60_000, interval: 200 },
  );
  const [code, signal] = await ended; // bounded by the test's timeout
  expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
  await s.waitForLine((l) => l.msg === 'an HTTP thread is wedged, exiting', 10_000);
  const left = await s.waitForLine(
    (l) => l.msg === 'HTTP threads left running: ending the process with SIGKILL',
    10_000,
  );
  expect(left).toMatchObject({ threads: 1, code: 1 });
  expect(s.stderr()).not.toMatch(/uv_loop_close|Assertion failed/);
  wedge.destroy();
}, 300_000);

it('a thread busy for longer than the deadline but yielding between slices is not declared wedged', async () => {
  const s = await start({ HTTP_WATCHDOG_MS: String(WATCHDOG_MS) });
  server = s;
  const stream = s.urls.stream!;
  // Busy on one thread for three deadlines; the other thread keeps answering meanwhile.
  const busy = tryGet(`${stream}/fault/busy?ms=${3 * WATCHDOG_MS}`, 200_000);
  const answered = await busy;
  expect(answered).toEqual({ status: 200, body: 'done' });
  // The check runs each second: after the busy answer, let the watchdog see the thread beat
  // again, then prove the process is alive and nothing was declared.
  await vi.waitFor(
    async () => {
      const r = await tryGet(`${stream}/health/live`);
      expect(r?.status).toBe(200);
    },
    { timeout: 60_000, interval: 200 },
  );
  expect(s.child.exitCode).toBeNull();
  expect(s.child.signalCode).toBeNull();
  expect(s.stdout().join('\n')).not.toContain('HTTP thread wedged');
}, 300_000);
