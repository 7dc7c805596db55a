/**
 * An exception nobody catches in the main thread ends the server with exit code 1, as Node's
 * default would, but by the graceful shutdown and reported in a JSON error line. Node's own exit
 * printed text on stderr and, the HTTP threads holding uWS handles, aborted (SIGABRT, a core
 * dump). Checked: exit 1, no signal, the error line, nothing on stderr (the test server's stop()
 * checks every line: strayOutput), and the access lines of the requests served before it. One
 * thrown while the server is still starting ends it the same way once it has started; one thrown
 * again during the shutdown is only logged. The bound on a shutdown that does not end:
 * uncaught-hang.test.ts.
 */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, onTestFinished } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CLI = fileURLToPath(new URL('../fixtures/http/uncaught-cli.ts', import.meta.url));
let s: TestServer | undefined;
afterAll(async () => {
  await s?.stop();
});

it('an uncaught exception in the main thread: exit 1 and a JSON error line, access lines kept', {
  timeout: 120_000,
}, async () => {
  s = await startTestServer({ cli: CLI, env: { LOG_LEVEL: 'info' } });
  const ids = ['uncaught-1', 'uncaught-2', 'uncaught-3'];
  for (const id of ids) {
    const r = await fetch(`${s.urls.stream}/no-such-route`, { headers: { 'x-request-id': id } });
    expect(r.status).toBe(404);
  }
  const exited = once(s.child, 'exit');
  s.child.kill('SIGUSR2');
  const [code, signal] = await exited;
  expect({ code, signal }).toEqual({ code: 1, signal: null });
  const lines = s.stdout().map((l) => JSON.parse(l) as Record<string, unknown>);
  const ended = lines.find((l) => l.msg === 'uncaught exception: shutting down, then exit 1');
  expect(ended).toMatchObject({
    level: 50,
    origin: 'uncaughtException',
    err: { message: 'fixture: uncaught in the main thread' },
  });
  const served = lines.filter((l) => l.msg === 'request').map((l) => l.reqId);
  expect(served).toEqual(expect.arrayContaining(ids));
});

it('one thrown while the server starts: the start completes, then the same shutdown, exit 1', {
  timeout: 120_000,
}, async () => {
  const t = await startTestServer({ cli: CLI, env: { UNCAUGHT_WHILE_STARTING: '1' } });
  onTestFinished(async () => {
    await t.stop();
  });
  const [code, signal] =
    t.child.exitCode === null && t.child.signalCode === null
      ? await once(t.child, 'exit')
      : [t.child.exitCode, t.child.signalCode];
  expect({ code, signal }).toEqual({ code: 1, signal: null });
  const lines = t.stdout().map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines).toContainEqual(
    expect.objectContaining({
      msg: 'uncaught exception: shutting down, then exit 1',
      err: expect.objectContaining({ message: 'fixture: uncaught while starting' }),
    }),
  );
});

it('one thrown again during the shutdown is only logged: the shutdown ends, exit 1', {
  timeout: 120_000,
}, async () => {
  // The main thread's stores throw from their close (test/fixtures/http/uncaught-cli.ts).
  const t = await startTestServer({ cli: CLI, env: { STORES_CLOSE: 'throw' } });
  onTestFinished(async () => {
    await t.stop();
  });
  const exited = once(t.child, 'exit');
  t.child.kill('SIGUSR2');
  const [code, signal] = await exited;
  expect({ code, signal }).toEqual({ code: 1, signal: null });
  const lines = t.stdout().map((l) => JSON.parse(l) as Record<string, unknown>);
  const uncaught = lines.filter((l) => String(l.msg).startsWith('uncaught exception'));
  expect(uncaught).toEqual([
    expect.objectContaining({
      msg: 'uncaught exception: shutting down, then exit 1',
      err: expect.objectContaining({ message: 'fixture: uncaught in the main thread' }),
    }),
    expect.objectContaining({
      msg: 'uncaught exception',
      level: 50,
      err: expect.objectContaining({ message: 'fixture: uncaught during the shutdown' }),
    }),
  ]);
});
