/**
 * The bound on the shutdown after an uncaught exception in the main thread (src/cli-run.ts
 * closeOnUncaught): a shutdown that cannot finish — here the main thread's stores never end
 * their close (test/fixtures/http/uncaught-cli.ts, STORES_CLOSE=hang) — ends by SIGKILL once
 * FATAL_SHUTDOWN_MS has passed since the exception. Checked from the parent: the process was
 * running when the exception was caused, it ends killed by SIGKILL, and its stdout holds the
 * exception's error line, then the line saying the shutdown ran out of time (with the configured
 * bound), every line JSON. Without the bound the process would run on for good and the bounded
 * wait below fails.
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect, it, onTestFinished } from 'vitest';
import { startTestServer } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../fixtures/http/uncaught-cli.ts', import.meta.url));
// Short for the suite; the hang is for good, so the outcome does not depend on how long the
// shutdown got (on a loaded machine the bound may cut it before it reaches the stores).
const FATAL_SHUTDOWN_MS = 3000;
// Far past FATAL_SHUTDOWN_MS even on a loaded machine, and below the 60 s default: a process
// still running then was not ended by the configured bound.
const EXIT_WAIT_MS = 45_000;

it('a shutdown after an uncaught exception that never ends: SIGKILL after FATAL_SHUTDOWN_MS', {
  timeout: 120_000,
}, async () => {
  const s = await startTestServer({
    cli: CLI,
    env: { STORES_CLOSE: 'hang', FATAL_SHUTDOWN_MS: String(FATAL_SHUTDOWN_MS) },
  });
  onTestFinished(async () => {
    // A process the bound did not end (the test failed) would ignore stop()'s SIGTERM: its
    // shutdown is the one that hangs.
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await s.stop(); // rejects if the process wrote anything but JSON lines
  });
  expect({ code: s.child.exitCode, signal: s.child.signalCode }).toEqual({
    code: null,
    signal: null,
  });
  const exited = once(s.child, 'exit');
  s.child.kill('SIGUSR2');
  let timer: NodeJS.Timeout | undefined;
  const [code, signal] = await Promise.race([
    exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still running ${EXIT_WAIT_MS} ms after the exception`)),
        EXIT_WAIT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });

  const out = s.stdout();
  const lines = out.map((l) => JSON.parse(l) as Record<string, unknown>);
  const thrown = lines.findIndex((l) => l.msg === 'uncaught exception: shutting down, then exit 1');
  const late = lines.findIndex(
    (l) => l.msg === 'the shutdown after an uncaught exception did not end in time',
  );
  expect(lines[thrown]).toMatchObject({
    level: 50,
    origin: 'uncaughtException',
    err: { message: 'fixture: uncaught in the main thread' },
  });
  expect(lines[late]).toMatchObject({ level: 50, ms: FATAL_SHUTDOWN_MS });
  expect(late).toBeGreaterThan(thrown);
  // Exactly one exception: the bound started at it, not at another one.
  expect(lines.filter((l) => String(l.msg).startsWith('uncaught exception'))).toHaveLength(1);
});
