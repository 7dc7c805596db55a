/**
 * An HTTP thread that ends while the database is down (MONGODB_URI on the MongoDB-wire dev
 * server, SIGKILLed): its replacement cannot open its stores. The host keeps retrying with a
 * backoff — a database outage must not turn into a restart storm or take the process down —
 * while the other thread keeps serving; once the database is back the replacement starts, and
 * the HTTP host is never restarted whole. Through the real command with the test's fault routes
 * (test/fixtures/http/host-crash-cli.ts, host budget 20 as in production).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it, vi } from 'vitest';
import { startTestServer } from '../helpers/server.js';
import { freePort } from '../ops/prom.js';
import { type DevMongo, startDevMongo } from '../setup/mongo-dev-server.js';
import { get as ask } from './get.js';

const CLI = fileURLToPath(new URL('../fixtures/http/host-crash-cli.ts', import.meta.url));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

it('a thread that ends during a database outage is replaced once the database is back', async () => {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'vs-outage-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  let mongo: DevMongo = await startDevMongo({ port, dir });
  cleanups.push(() => mongo.stop());
  const s = await startTestServer({
    cli: CLI,
    only: 'stream',
    env: {
      HTTP_THREADS: '2',
      MONGODB_URI: `${mongo.uri}host-outage`,
      HOST_RESTART_INTENSITY: '20',
      SERVER_RESTART_INTENSITY: '0',
    },
    timeoutMs: 120_000,
  });
  cleanups.push(() => s.stop());
  const stream = s.urls.stream!;
  const logged = (msg: string) => s.stdout().filter((l) => l.includes(`"msg":"${msg}"`)).length;
  const tail = () => `${s.stdout().slice(-15).join('\n')}\n${s.stderr()}`;

  // Two connections on two different threads (the kernel picks; retry until they differ).
  const survivorAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(async () => survivorAgent.destroy());
  const survivor = (await ask(`${stream}/fault/thread`, survivorAgent)).body;
  let doomed: http.Agent;
  for (;;) {
    doomed = new http.Agent({ keepAlive: true, maxSockets: 1 });
    if ((await ask(`${stream}/fault/thread`, doomed)).body !== survivor) break;
    doomed.destroy();
  }

  await mongo.kill();
  await expect(ask(`${stream}/fault/exit`, doomed)).rejects.toThrow();
  doomed.destroy();
  // The replacement cannot open its stores: it fails, is retried, fails again …
  await vi.waitFor(
    () =>
      expect(logged('HTTP thread replacement failed; retrying'), tail()).toBeGreaterThanOrEqual(2),
    {
      timeout: 120_000,
      interval: 200,
    },
  );
  // … while the surviving thread keeps answering on its connection and the process stays up.
  expect((await ask(`${stream}/fault/thread`, survivorAgent)).body).toBe(survivor);
  expect(s.child.exitCode).toBe(null);

  mongo = await startDevMongo({ port, dir });
  await vi.waitFor(() => expect(logged('HTTP thread replaced'), tail()).toBe(1), {
    timeout: 120_000,
    interval: 200,
  });
  expect(s.child.exitCode).toBe(null);
  expect(logged('HTTP thread crashed; restarting the HTTP host')).toBe(0);
  // Both threads serve again: fresh connections reach a thread other than the survivor.
  await vi.waitFor(
    async () => expect((await ask(`${stream}/fault/thread`)).body).not.toBe(survivor),
    { timeout: 60_000, interval: 50 },
  );
  expect(s.stderr()).not.toMatch(/uv_loop_close|Assertion/);
}, 300_000);
