/**
 * The scheduler's actors under supervision, on the embedded store (issue 11): an injected claim
 * failure (a store wrapper passed as SchedulerOptions.stores, not a hook) ends rounds with an
 * error and deletions resume; a dispatcher thread that dies is replaced; a deletion task thread
 * that exits mid-task is replaced and its record retried, nothing lost and nothing deleted twice;
 * an executor wedged on a store write is replaced within taskTimeoutMs + executeMarginMs; a
 * dispatcher wedged on a claim is replaced after claimTimeoutMs.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { type Scheduler, startScheduler } from '../../src/scheduler/index.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { workerFile } from '../../src/worker-file.js';
import {
  callsHung,
  flakyControl,
  MODE_CLAIM_HANGS,
  MODE_FAIL_HANGS,
  MODE_STORE_ERROR,
  MODE_THREAD_EXIT,
} from '../fixtures/scheduler/flaky-stores.js';
import type { TestTaskOptions } from '../fixtures/scheduler/test-deletion.task.js';
import { isGone, isIntact, seedVideo, tempConfig, waitFor } from './helpers.js';
import { readExecutionLog } from './nodes.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const quiet = createLogger('test', 100);
const taskFile = workerFile(import.meta.url, '../fixtures/scheduler/test-deletion.task');
const flakyModule = pathToFileURL(
  join(import.meta.dirname, '../fixtures/scheduler/flaky-stores.ts'),
).href;

async function setup(asked: number, kept: number, task: TestTaskOptions = {}) {
  const t = await tempConfig({ SCHEDULER_INTERVAL_MS: '100' });
  cleanups.push(t.cleanup);
  const stores = await openStores(t.config);
  cleanups.push(() => stores.close());
  const log = join(t.config.dataDir, 'executions.jsonl');
  // The actor and task threads copy the environment when they start.
  process.env.VS_TEST_TASK = JSON.stringify({ log, ...task });
  const ids: string[] = [];
  for (let i = 0; i < asked; i++) ids.push(await seedVideo(stores));
  const keep: string[] = [];
  for (let i = 0; i < kept; i++) keep.push(await seedVideo(stores));
  return { config: t.config, stores, ids, keep, log };
}

function start(
  s: Awaited<ReturnType<typeof setup>>,
  extra: Parameters<typeof startScheduler>[2] = {},
): Scheduler {
  const scheduler = startScheduler(
    s.config,
    { records: s.stores.records, log: quiet },
    // A 10 s lease (task timeout 5 s): a loaded machine must not time out a task after its
    // completion commit, which would leave a video deleted but without its log line.
    { batch: 2, poolThreads: 1, taskFile, leaseMs: 10_000, backoffBaseMs: 50, ...extra },
  );
  cleanups.push(() => scheduler.close(5000));
  return scheduler;
}

async function allGone(stores: Stores, ids: string[]): Promise<boolean> {
  for (const id of ids) if (!(await isGone(stores, id))) return false;
  return true;
}

/** Each asked video completed exactly once; nothing else was touched. */
async function checkOnce(s: Awaited<ReturnType<typeof setup>>): Promise<void> {
  for (const id of s.keep) expect(await isIntact(s.stores, id)).toBe(true);
  // A task appends its log lines after its completion commit: the videos can be gone a moment
  // before the last line is written. Wait for a line per video, then check there is exactly one.
  const doneLines = async () => (await readExecutionLog(s.log)).filter((l) => l.outcome === 'done');
  await waitFor(
    'a done line per asked video',
    async () => (await doneLines()).length >= s.ids.length,
  );
  const done = await doneLines();
  expect(done.map((l) => l.videoId).sort()).toEqual([...s.ids].sort());
  expect(await s.stores.queue.countDeletions()).toEqual({ pending: 0, dead: 0 });
}

describe('scheduler supervision (LMDB)', () => {
  it('an injected claim failure ends rounds with an error; the next ticks delete everything', async () => {
    const s = await setup(4, 2);
    const control = flakyControl(3, MODE_STORE_ERROR);
    const scheduler = start(s, { stores: { module: flakyModule, data: { control } } });
    for (const id of s.ids) await s.stores.queue.enqueueDeletion(id);
    await waitFor('every asked video deleted', () => allGone(s.stores, s.ids), 150_000);
    const stats = scheduler.stats();
    expect(stats.runners['video-cleanup']!.roundErrors).toBeGreaterThanOrEqual(3);
    // A store error is the environment's fault: no thread was replaced for it.
    expect(stats.actors.map((a) => [a.id, a.state, a.restarts])).toEqual([
      ['video-cleanup.dispatcher', 'running', 0],
      ['video-cleanup.executor', 'running', 0],
    ]);
    await checkOnce(s);
  }, 200_000);

  it('a dispatcher thread that dies is replaced, and the deletions resume', async () => {
    const s = await setup(4, 1);
    const control = flakyControl(1, MODE_THREAD_EXIT);
    const scheduler = start(s, { stores: { module: flakyModule, data: { control } } });
    for (const id of s.ids) await s.stores.queue.enqueueDeletion(id);
    await waitFor('every asked video deleted', () => allGone(s.stores, s.ids), 150_000);
    const [dispatcher, executor] = scheduler.stats().actors;
    expect(dispatcher).toMatchObject({ id: 'video-cleanup.dispatcher', state: 'running' });
    expect(dispatcher!.restarts).toBe(1);
    expect(dispatcher!.thread).toBeGreaterThan(0);
    expect(executor).toMatchObject({ state: 'running', restarts: 0 });
    await checkOnce(s);
  }, 200_000);

  it('a deletion task thread exiting mid-task is replaced; its record is retried, nothing lost', async () => {
    const s = await setup(3, 2);
    const marker = join(s.config.dataDir, 'exit-once');
    await import('node:fs/promises').then((fs) => fs.mkdir(marker));
    process.env.VS_TEST_TASK = JSON.stringify({ log: s.log, exitOnce: marker });
    const scheduler = start(s);
    for (const id of s.ids) await s.stores.queue.enqueueDeletion(id);
    await waitFor('every asked video deleted', () => allGone(s.stores, s.ids), 150_000);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(marker)).toEqual(['exited']); // the thread did die mid-task
    // The runner's counters follow the executor's answer, which trails the store writes.
    const counters = () => scheduler.stats().runners['video-cleanup']!;
    await waitFor('the failed attempt counted', () => counters().failed >= 1);
    const stats = counters();
    expect(stats.failed).toBeGreaterThanOrEqual(1); // that attempt failed and was retried
    expect(stats.deadLettered).toBe(0);
    await checkOnce(s);
  }, 200_000);

  it('an executor wedged on its failDeletions is replaced within its bound; nothing lost', async () => {
    const s = await setup(3, 2);
    // A task thread that dies fails its records, so the executor records them (failDeletions)…
    const marker = join(s.config.dataDir, 'exit-once');
    await mkdir(marker);
    process.env.VS_TEST_TASK = JSON.stringify({ log: s.log, exitOnce: marker });
    // …and that call never returns.
    const control = flakyControl(1, MODE_FAIL_HANGS);
    // One thread, batch 8: the bound is 5 s (taskTimeoutMs) + 2 s; a bound counted in waves of
    // tasks (8 × 5 s + 30 s) would leave the thread wedged past the 40 s wait below.
    const scheduler = start(s, {
      batch: 8,
      executeMarginMs: 2000,
      stores: { module: flakyModule, data: { control } },
    });
    for (const id of s.ids) await s.stores.queue.enqueueDeletion(id);
    await waitFor('the executor hung on failDeletions', () => callsHung(control) >= 1, 150_000);
    const actor = (i: number) => scheduler.stats().actors[i]!;
    await waitFor('the wedged executor replaced', () => actor(1).restarts >= 1, 40_000);
    await waitFor('every asked video deleted', () => allGone(s.stores, s.ids), 150_000);
    expect(actor(1)).toMatchObject({ id: 'video-cleanup.executor', state: 'running' });
    expect(actor(0)).toMatchObject({ id: 'video-cleanup.dispatcher', restarts: 0 });
    // The wedged call ended its round with an error; the records came back when their leases ran out.
    expect(scheduler.stats().runners['video-cleanup']!.roundErrors).toBeGreaterThanOrEqual(1);
    expect(callsHung(control)).toBe(1);
    await checkOnce(s);
  }, 250_000);

  it('a dispatcher wedged on its claims is replaced after claimTimeoutMs; nothing lost', async () => {
    const s = await setup(4, 2);
    // The first two claims never return, nor does any later one on the same thread (its store
    // connection stalled without a reset): each wedges the dispatcher incarnation that made it.
    const control = flakyControl(2, MODE_CLAIM_HANGS);
    const scheduler = start(s, {
      claimTimeoutMs: 4000,
      stores: { module: flakyModule, data: { control } },
    });
    for (const id of s.ids) await s.stores.queue.enqueueDeletion(id);
    const actor = (i: number) => scheduler.stats().actors[i]!;
    // Without the kill, the first wedged thread stays the dispatcher: every later claim times
    // out on it, nothing is deleted and no restart ever comes.
    await waitFor('both wedged dispatchers replaced', () => actor(0).restarts >= 2, 90_000);
    await waitFor('every asked video deleted', () => allGone(s.stores, s.ids), 150_000);
    expect(callsHung(control)).toBe(2);
    expect(actor(0)).toMatchObject({ id: 'video-cleanup.dispatcher', state: 'running' });
    expect(actor(1)).toMatchObject({ id: 'video-cleanup.executor', restarts: 0 });
    expect(scheduler.stats().runners['video-cleanup']!.roundErrors).toBeGreaterThanOrEqual(2);
    await checkOnce(s);
  }, 350_000);
});
