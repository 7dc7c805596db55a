/**
 * A thread ended while counted in RUNNING_SLOT (task-signals.ts) must not leave its count there:
 * a later stop past its deadline waits for the running tasks and store calls (stopTasks) and,
 * with a count left by a dead thread, waited its full bound (TASKS_STOP_MS) and logged that tasks
 * did not stop. Two such ends, through the public API (startScheduler): a deletion pool thread
 * ended by the backstop abort (the tests' task's blockOnce blocks its thread inside runDeletions
 * until the pool ends it), and a wedged dispatcher killed inside its claim (flaky-stores.ts); then
 * a stop past its deadline while a round is in flight (its task held at a gate, outside
 * runDeletions: not counted).
 */

import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { type Scheduler, startScheduler } from '../../src/scheduler/index.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { workerFile } from '../../src/worker-file.js';
import { callsHung, flakyControl, MODE_CLAIM_HANGS } from '../fixtures/scheduler/flaky-stores.js';
import { isGone, seedVideo, tempConfig, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const taskFile = workerFile(import.meta.url, '../fixtures/scheduler/test-deletion.task');
const flakyModule = pathToFileURL(
  join(import.meta.dirname, '../fixtures/scheduler/flaky-stores.ts'),
).href;

type Line = { msg: string } & Record<string, unknown>;

/** A Logger keeping every line (message and fields), for the test to read. */
function recordingLogger(lines: Line[]): Logger {
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push({ ...fields, level, msg });
  const log: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => log,
    bind: () => log,
  };
  return log;
}

/** A data dir with one video queued, the tests' task told `task` (and held at an open gate). */
async function setup(task: (dir: string) => Record<string, unknown>) {
  const t = await tempConfig({ SCHEDULER_INTERVAL_MS: '50' });
  cleanups.push(t.cleanup);
  const stores = await openStores(t.config);
  cleanups.push(() => stores.close());
  const dir = join(t.config.dataDir, 'task');
  await mkdir(dir);
  const gate = join(dir, 'gate');
  await writeFile(gate, '');
  // The task threads copy the environment when they start.
  process.env.VS_TEST_TASK = JSON.stringify({ ...task(dir), gate });
  cleanups.push(async () => {
    delete process.env.VS_TEST_TASK;
  });
  const first = await seedVideo(stores);
  await stores.queue.enqueueDeletion(first);
  return { config: t.config, stores, dir, gate, first };
}

/**
 * The backstop abort comes (12 000 − 2000) / 4 ms after a task's deadline: a task that answers at
 * its deadline (a thread slow to start on a loaded machine) is retried, never aborted.
 */
const TIMING = {
  batch: 1,
  poolThreads: 1,
  taskFile,
  leaseMs: 12_000,
  taskTimeoutMs: 2000,
  backoffBaseMs: 20,
  backoffMaxMs: 200,
  maxAttempts: 100,
};

/** Closes the gate, queues a video, and stops past the deadline once its round is in flight. */
async function stopWithRoundInFlight(scheduler: Scheduler, stores: Stores, gate: string) {
  const counters = () => scheduler.stats().runners['video-cleanup']!;
  await rm(gate);
  const second = await seedVideo(stores);
  const claimed = counters().claimed;
  await stores.queue.enqueueDeletion(second);
  await waitFor('the second video claimed', () => counters().claimed > claimed, 90_000);
  expect(await scheduler.close(100)).toBe(false);
}

const late = (lines: Line[]) =>
  lines.filter((l) => l.msg.startsWith('deletion tasks did not stop in time'));

it('a pool thread ended mid-task leaves no count behind: a later stop does not wait for it', async () => {
  const { config, stores, dir, gate, first } = await setup((dir) => ({ blockOnce: dir }));
  const lines: Line[] = [];
  const scheduler = startScheduler(
    config,
    { records: stores.records, log: recordingLogger(lines) },
    TIMING,
  );
  cleanups.push(() => scheduler.close(100));
  // The first task blocked its thread; the pool ended it; the retry deleted the video.
  await waitFor('the first video deleted by a retry', () => isGone(stores, first), 90_000);
  expect(existsSync(join(dir, 'blocked'))).toBe(true);
  expect(existsSync(join(dir, 'unblocked'))).toBe(false); // ended by the pool, not by itself
  expect(scheduler.stats().runners['video-cleanup']!.failed).toBeGreaterThan(0);

  await stopWithRoundInFlight(scheduler, stores, gate);
  expect(late(lines)).toEqual([]);
  expect(existsSync(join(dir, 'unblocked'))).toBe(false);
}, 240_000);

it('a dispatcher killed inside its claim (wedged) leaves no count behind: a later stop does not wait for it', async () => {
  const { config, stores, gate, first } = await setup(() => ({}));
  const lines: Line[] = [];
  // The first claim never returns: that dispatcher is wedged, killed and replaced.
  const control = flakyControl(1, MODE_CLAIM_HANGS);
  const scheduler = startScheduler(
    config,
    { records: stores.records, log: recordingLogger(lines) },
    { ...TIMING, claimTimeoutMs: 2000, stores: { module: flakyModule, data: { control } } },
  );
  cleanups.push(() => scheduler.close(100));
  await waitFor(
    'the first video deleted after the replacement',
    () => isGone(stores, first),
    90_000,
  );
  expect(callsHung(control)).toBe(1);
  expect(scheduler.stats().actors[0]).toMatchObject({ id: 'video-cleanup.dispatcher' });
  expect(scheduler.stats().actors[0]!.restarts).toBeGreaterThanOrEqual(1);
  expect(lines.some((l) => l.msg.startsWith('dispatcher wedged'))).toBe(true);

  await stopWithRoundInFlight(scheduler, stores, gate);
  expect(late(lines)).toEqual([]);
}, 240_000);
