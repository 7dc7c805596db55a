/**
 * A deletion pool thread ended while its task is counted in RUNNING_SLOT (task-signals.ts) — the
 * pool's backstop abort of a task whose event loop is blocked — must not leave its count there:
 * a later stop past its deadline waits for the running tasks (stopTasks) and, with a count left
 * by a dead thread, waited its full bound (TASKS_STOP_MS) and logged that tasks did not stop.
 * Through the public API: startScheduler with the tests' task (blockOnce: the first task blocks
 * its thread inside runDeletions until the pool ends it), then a stop past its deadline while a
 * round is in flight (its task held at a gate, outside runDeletions: not counted).
 */

import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Logger } from '../../src/log.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { openStores } from '../../src/store/index.js';
import { workerFile } from '../../src/worker-file.js';
import { isGone, seedVideo, tempConfig, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const taskFile = workerFile(import.meta.url, '../fixtures/scheduler/test-deletion.task');

/** A Logger keeping every line (message and fields), for the test to read. */
function recordingLogger(lines: Array<{ msg: string } & Record<string, unknown>>): Logger {
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

it('a pool thread ended mid-task leaves no count behind: a later stop does not wait for it', async () => {
  const t = await tempConfig({ SCHEDULER_INTERVAL_MS: '50' });
  cleanups.push(t.cleanup);
  const stores = await openStores(t.config);
  cleanups.push(() => stores.close());
  const dir = join(t.config.dataDir, 'task');
  await mkdir(dir);
  const gate = join(dir, 'gate');
  await writeFile(gate, '');
  // The task threads copy the environment when they start.
  process.env.VS_TEST_TASK = JSON.stringify({ blockOnce: dir, gate });
  cleanups.push(async () => {
    delete process.env.VS_TEST_TASK;
  });
  const first = await seedVideo(stores);
  await stores.queue.enqueueDeletion(first);
  const lines: Array<{ msg: string } & Record<string, unknown>> = [];
  // The backstop abort comes (12 000 − 2000) / 4 ms after the deadline: a task that answers at
  // its deadline (a thread slow to start on a loaded machine) is retried, never aborted.
  const scheduler = startScheduler(
    t.config,
    { records: stores.records, log: recordingLogger(lines) },
    {
      batch: 1,
      poolThreads: 1,
      taskFile,
      leaseMs: 12_000,
      taskTimeoutMs: 2000,
      backoffBaseMs: 20,
      backoffMaxMs: 200,
      maxAttempts: 100,
    },
  );
  cleanups.push(() => scheduler.close(100));
  const counters = () => scheduler.stats().runners['video-cleanup']!;
  // The first task blocked its thread; the pool ended it; the retry deleted the video.
  await waitFor('the first video deleted by a retry', () => isGone(stores, first), 90_000);
  expect(existsSync(join(dir, 'blocked'))).toBe(true);
  expect(existsSync(join(dir, 'unblocked'))).toBe(false); // ended by the pool, not by itself
  expect(counters().failed).toBeGreaterThan(0);

  // A round in flight at the stop: its task held at the gate, before runDeletions.
  await rm(gate);
  const second = await seedVideo(stores);
  const claimed = counters().claimed;
  await stores.queue.enqueueDeletion(second);
  await waitFor('the second video claimed', () => counters().claimed > claimed, 90_000);
  expect(await scheduler.close(100)).toBe(false);
  const late = lines.filter((l) => l.msg.startsWith('deletion tasks did not stop in time'));
  expect(late).toEqual([]);
  expect(existsSync(join(dir, 'unblocked'))).toBe(false);
}, 240_000);
