/**
 * The HTTP host's give-up path and the server supervisor's escalation, through the real command
 * (test/fixtures/http/host-crash-cli.ts: runCli with the fault routes mounted and small restart
 * budgets passed as start options — HTTP host intensity 1, server supervisor intensity 2):
 *   - a second thread end makes the host give up; the server's supervisor starts a whole new host
 *     on the same port, the process stays up, the restart is logged and counted on /metrics
 *     (actor_restarts_total{child="http"}, thread replacements as child="http.thread");
 *   - the third host restart exceeds the supervisor's budget: the process exits 1 with the log
 *     line naming the child, and never aborts (no uv_loop_close assertion, no signal).
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freePort, scrape, total } from '../ops/prom.js';
import { get as ask } from './get.js';

const CLI = fileURLToPath(new URL('../fixtures/http/host-crash-cli.ts', import.meta.url));

let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
});

it('a host that gives up is restarted whole on the same port; too many restarts exit 1', async () => {
  const metricsPort = await freePort();
  const s = await startTestServer({
    cli: CLI,
    only: 'stream',
    env: { HTTP_THREADS: '2', METRICS_PORT: String(metricsPort), SHUTDOWN_GRACE_MS: '0' },
    timeoutMs: 120_000,
  });
  server = s;
  const exited = once(s.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const stream = s.urls.stream!;
  const logged = (msg: string) => s.stdout().filter((l) => l.includes(`"msg":"${msg}"`)).length;
  const ends = () => logged('HTTP thread ended; replacing it');
  /** Ends the thread that serves this connection (the test's own route) and waits for the log. */
  const endAThread = async () => {
    const before = ends();
    await expect(ask(`${stream}/fault/exit`)).rejects.toThrow();
    await vi.waitFor(() => expect(ends()).toBe(before + 1), { timeout: 60_000, interval: 50 });
  };
  const restartsOnMetrics = async () => {
    const families = await scrape(s.urls.metrics!);
    return {
      http: total(families, 'actor_restarts_total', { child: 'http' }),
      thread: total(families, 'actor_restarts_total', { child: 'http.thread' }),
    };
  };

  expect((await ask(`${stream}/fault/thread`)).status).toBe(200);
  for (let restart = 1; restart <= 2; restart++) {
    await endAThread(); // replaced: within the host's budget
    await endAThread(); // over it: the host closes and gives up
    await vi.waitFor(() => expect(logged('restarted')).toBe(restart), {
      timeout: 60_000,
      interval: 50,
    });
    expect(s.child.exitCode).toBe(null);
    // The new host serves the same URL (the port the first one bound), health included.
    await vi.waitFor(async () => expect((await ask(`${stream}/fault/thread`)).status).toBe(200), {
      timeout: 60_000,
      interval: 100,
    });
    const live = await ask(`${stream}/health/live`);
    expect(live.status, live.body).toBe(200);
    expect(await restartsOnMetrics()).toEqual({ http: restart, thread: restart });
  }
  expect(logged('HTTP thread crashed; restarting the HTTP host')).toBe(2);

  // The third give-up exceeds the server supervisor's budget (2): escalation, exit 1.
  await endAThread();
  await endAThread();
  const [code, signal] = await exited;
  const out = `${s.stdout().slice(-30).join('\n')}\n${s.stderr()}`;
  expect({ code, signal }, out).toEqual({ code: 1, signal: null });
  expect(s.stderr()).not.toMatch(/uv_loop_close|Assertion|Aborted/);
  const lines = s.stdout().flatMap((l) => (l.startsWith('{') ? [JSON.parse(l)] : []));
  expect(lines.find((l) => l.msg === 'too many restarts: giving up')).toMatchObject({
    child: 'http',
  });
  const last = lines.find((l) => l.msg === 'a service kept crashing, exiting');
  expect(JSON.stringify(last), out).toContain('ERR_SUPERVISOR_GAVE_UP');
}, 300_000);
