/**
 * A thread late to close but alive (host-close.ts closeThread, LATE_ALIVE_MS), through the real
 * command (test/fixtures/http/host-crash-cli.ts, LMDB records in its DATA_DIR) over loopback.
 *
 * Another writer holds the LMDB write lock (test/fixtures/http/lmdb-lock.worker.ts: what another
 * process on the same DATA_DIR, or a long transaction, does). The fault route /fault/write queues
 * one record write on the HTTP thread, which waits for the lock, and keeps the thread busy in
 * slices that yield. On SIGTERM the thread drains at once (nothing in flight), then its store
 * close waits for that write, past the drain deadline + CLOSE_GRACE_MS the host allows. The
 * thread still beats, so the host says so and waits longer instead of abandoning it; the test
 * releases the lock once that line is out, the write commits, the thread exits and so does the
 * process, normally (exit 0). An abandoned thread ends the process by SIGKILL (cli-run.ts), as it
 * did when the thread stopped beating before closing its stores.
 *
 * No timing window: the lock is held until the host has decided, whatever the load.
 *
 * The host follows the beat over that wait, not once (host-close.ts followBeats): in the second
 * case the late thread's loop blocks for good (the fault route wedges it once the test drops
 * DATA_DIR/wedge-now, after the host said it waits), so its beats stop. The host's bound is an
 * hour there (HOST_LATE_ALIVE_MS): it must abandon the thread (the process then ends by SIGKILL)
 * well inside the test's bounds, which a check made only when the thread became late cannot do.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, expect, it, vi } from 'vitest';
import { workerFile } from '../../src/worker-file.js';
import { WEDGE_NOW } from '../fixtures/http/fault-routes.js';
import { startTestServer } from '../helpers/server.js';
import { get as ask } from './get.js';

const CLI = new URL('../fixtures/http/host-crash-cli.ts', import.meta.url).pathname;
const LOCK = workerFile(import.meta.url, '../fixtures/http/lmdb-lock.worker');
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Holds the write lock of the LMDB environment at `path` until `release()`. */
async function holdWriteLock(path: string) {
  const held = new Int32Array(new SharedArrayBuffer(4));
  const release = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(LOCK.url, {
    execArgv: LOCK.execArgv,
    workerData: { path, held, release },
  });
  const exited = once(worker, 'exit');
  const free = () => {
    Atomics.store(release, 0, 1);
    Atomics.notify(release, 0);
  };
  cleanups.push(async () => {
    free();
    await exited;
  });
  worker.on('error', (err) => {
    throw err;
  });
  await vi.waitFor(() => expect(Atomics.load(held, 0)).toBe(1), { timeout: 60_000, interval: 50 });
  return free;
}

const LATE = 'HTTP thread late to close but still beating: waiting longer';
const STOPPED = 'HTTP thread late to close stopped beating: abandoning it';
const LEFT = 'HTTP thread did not close in time: left running';

it('SIGTERM while the store close waits on a write: the host waits for the thread that beats', async () => {
  const s = await startTestServer({
    cli: CLI,
    only: 'stream',
    env: { HTTP_THREADS: '1' },
    timeoutMs: 120_000,
  });
  cleanups.push(async () => {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await s.stop();
  });
  const stream = s.urls.stream!;
  const release = await holdWriteLock(join(s.dataDir, 'db'));
  // Answered once the write is queued; the thread stays busy (yielding) until it exits.
  expect(await ask(`${stream}/fault/write?busyMs=600000`)).toMatchObject({
    status: 200,
    body: 'queued',
  });

  const ended = once(s.child, 'close'); // after 'exit' and the end of its stdout and stderr
  s.child.kill('SIGTERM');
  const decided = await s.waitForLine((l) => l.msg === LATE || l.msg === LEFT, 120_000);
  expect(decided).toMatchObject({ msg: LATE, httpThread: 0 });
  release();

  const [code, signal] = await ended; // bounded by the test's timeout
  const out = `${s.stdout().slice(-20).join('\n')}\n${s.stderr()}`;
  expect({ code, signal }, out).toEqual({ code: 0, signal: null });
  const lines = s.stdout().join('\n');
  expect(lines).not.toContain(LEFT);
  expect(lines).not.toContain('HTTP threads left running');
}, 300_000);

it('a late thread whose beats stop while the host waits is abandoned, not waited for to the bound', async () => {
  const HOUR = 3_600_000;
  const s = await startTestServer({
    cli: CLI,
    only: 'stream',
    env: { HTTP_THREADS: '1', HOST_LATE_ALIVE_MS: String(HOUR) },
    timeoutMs: 120_000,
  });
  cleanups.push(async () => {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await s.stop();
  });
  const stream = s.urls.stream!;
  await holdWriteLock(join(s.dataDir, 'db')); // released by the cleanup, after the process ended
  expect(await ask(`${stream}/fault/write?busyMs=${HOUR}&wedgeOnFile=1`)).toMatchObject({
    status: 200,
    body: 'queued',
  });

  const ended = once(s.child, 'close');
  s.child.kill('SIGTERM');
  const decided = await s.waitForLine((l) => l.msg === LATE || l.msg === LEFT, 120_000);
  expect(decided).toMatchObject({ msg: LATE, httpThread: 0, moreMs: HOUR });
  // The thread still beats here; from now on its loop blocks for good.
  await writeFile(join(s.dataDir, WEDGE_NOW), '');

  // Bounded far below the host's hour: only a host that follows the beat gets here.
  const stopped = await s.waitForLine((l) => l.msg === STOPPED || l.msg === LEFT, 120_000);
  expect(stopped).toMatchObject({ msg: STOPPED, httpThread: 0 });
  expect(await s.waitForLine((l) => l.msg === LEFT, 120_000)).toMatchObject({ httpThread: 0 });
  const [code, signal] = await ended; // an abandoned thread: the process ends by SIGKILL
  expect({ code, signal }, s.stderr()).toEqual({ code: null, signal: 'SIGKILL' });
}, 300_000);
