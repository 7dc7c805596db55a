/**
 * A completion in flight when the scheduler stops: the store applied it (the deletion record is
 * gone), its answer is still on the way. The stop used to cut it off without waiting: the task
 * closed its stores at once (on MongoDB that fails the calls in flight), reported the video failed
 * and unanswered, and the executor, stopping, wrote nothing — a gone record is never claimed
 * again, so no `video deleted` line was ever written for that video. Now a stop lets such a
 * completion answer, bounded (STOP_SETTLE_MS after the task saw the stop, within the stop's own
 * TASKS_STOP_MS), and counts the executor's batch until it has settled its results, so the done
 * is reported before the thread is ended.
 *
 * A scheduler process (scheduler-process.ts: SIGTERM is a graceful close with a 5 s deadline)
 * runs the tests' task with holdOnce (test-deletion.task.ts): the real store applies the
 * completion, its answer is held until the stop is set, then 2 × STOP_POLL_MS more, and closing
 * the stores first rejects it. The task's deadline is far away (300 s): only the stop ends it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openStores } from '../../src/store/index.js';
import { isGone, isIntact, seedVideo, tempConfig, waitFor } from './helpers.js';
import { readExecutionLog, startProcessNode } from './nodes.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('a stop lets a completion in flight answer: the video ends done once, the stop completes', async () => {
  const t = await tempConfig();
  cleanups.push(t.cleanup);
  const dir = t.config.dataDir;
  const stores = await openStores(t.config);
  cleanups.push(() => stores.close());
  const id = await seedVideo(stores);
  const kept = await seedVideo(stores);
  await stores.queue.enqueueDeletion(id);

  const hold = join(dir, 'hold');
  await mkdir(hold);
  const log = join(dir, 'executions.jsonl');
  const node = await startProcessNode(
    { DATA_DIR: dir, SCHEDULER_INTERVAL_MS: '50', LOG_LEVEL: 'debug' },
    { batch: 1, poolThreads: 1, leaseMs: 600_000, taskTimeoutMs: 300_000 },
    { log, holdOnce: hold },
  );
  cleanups.push(() => node.kill());

  // The completion applied, its answer held until the stop.
  await waitFor(
    'the completion applied, its answer held',
    () => existsSync(join(hold, 'held', 'ids')),
    120_000,
    20,
  );
  expect((await readFile(join(hold, 'held', 'ids'), 'utf8')).split('\n')).toEqual([id]);
  expect(await stores.queue.getDeletion(id)).toBeUndefined();

  // The graceful stop: its 5 s deadline passes with the round in flight, so it cuts the round
  // off (the path that used to close the stores under the completion) and still exits 0.
  expect(await node.stop(), node.stderr()).toBe(0);
  const lines = node.logLines();
  // What a failure shows: the lines about the stop and the video, not the ticks.
  const shown = JSON.stringify(
    lines.filter((l) => l.msg !== 'tick coalesced: round still in flight'),
  );
  const stopped = lines.filter((l) => l.msg === 'scheduler stopped');
  expect(stopped, shown).toMatchObject([{ finished: false }]);

  // Done exactly once: the executor's line and the task's, and nothing of the video left.
  const deleted = lines.filter((l) => l.msg === 'video deleted' && l.video === id);
  // Before the fix: none (the task reported it failed, unanswered, and the stopping executor
  // left it to its lease — whose record was already gone).
  expect(deleted, shown).toHaveLength(1);
  const executions = (await readExecutionLog(log)).filter((l) => l.videoId === id);
  expect(
    executions.map((l) => l.outcome),
    shown,
  ).toEqual(['done']);
  // When the task answered, the executor's batch still held the stop off (its count in
  // RUNNING_SLOT, the task's own already given back), so the `video deleted` line could not be
  // cut off by the thread's end. Without that count the stop saw 0 here and ended the executor
  // thread as the answer travelled to it (the line above then depended on who won).
  expect(executions[0]?.runningAtAnswer, shown).toBeGreaterThanOrEqual(1);
  expect(await isGone(stores, id)).toBe(true);
  expect(await isIntact(stores, kept)).toBe(true);
}, 120_000);
