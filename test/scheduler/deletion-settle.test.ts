/**
 * A deletion whose completion the store applied just before the task's deadline, its answer
 * still on the way (test/scheduler/outage.test.ts failed on it under load): the task used to
 * close its stores at the deadline at once — on MongoDB that fails the calls in flight — and
 * report the video failed with ERR_TASK_DEADLINE although its deletion record was gone; a gone
 * record is never claimed again, so no task ever reported that deletion done. Now the task waits
 * for a completion in flight until task.settleBy, then closes; one whose answer comes later
 * still fails, in its complete step and marked `unanswered`, so the executor can tell that the
 * store may have applied it (test/scheduler/executor.test.ts).
 *
 * In-process through runDeletions (the function the pool threads run; its own file: the thread's
 * stores are a module-level cache) on the MongoDB store. The task's `open` parameter wraps the
 * stores: the real completeDeletions runs (the records go), then its answer comes back
 * 2 × STOP_POLL_MS later unless the stores are closed first, as a MongoDB client's close fails
 * the calls in flight. The deadline is moved to the moment the completion was applied; with
 * task.signals the task polls its deadline every STOP_POLL_MS, so it sees the deadline before
 * the answer's timer fires (timers fire in the order they are due), whatever the machine's load.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { runDeletions } from '../../src/scheduler/deletion.task.js';
import type { DeletionTask } from '../../src/scheduler/index.js';
import { STOP_POLL_MS, taskSignals } from '../../src/scheduler/task-signals.js';
import { openStores } from '../../src/store/index.js';
import { whenClosed } from '../fixtures/scheduler/held-answer.js';
import { useMongoTestDb } from '../helpers/mongo.js';
import { isGone, seedVideo, tempConfig } from './helpers.js';

const mongoUri = useMongoTestDb('sched_settle');

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * One claimed video (and one kept) and its task through runDeletions, the completion's answer
 * held 2 × STOP_POLL_MS as described above; `settleMs`: task.settleBy, from the deadline on.
 */
async function deleteAtDeadline(settleMs: number) {
  const t = await tempConfig({ MONGODB_URI: mongoUri });
  cleanups.push(t.cleanup);
  const stores = await openStores(t.config);
  cleanups.push(() => stores.close());
  const id = await seedVideo(stores);
  const kept = await seedVideo(stores);
  await stores.queue.enqueueDeletion(id);
  expect(await stores.queue.claimDeletions('me', 1, 600_000)).toHaveLength(1);

  const now = Date.now();
  // Mutable: the wrapper below moves the deadline to the moment the completion was applied.
  const task: { -readonly [K in keyof DeletionTask]: DeletionTask[K] } = {
    config: t.config,
    videoIds: [id],
    owner: 'me',
    leaseMs: 600_000,
    deadline: now + 300_000,
    settleBy: now + 300_000,
    minLeaseUntil: now + 450_000,
    signals: taskSignals(),
  };
  let applied = false;
  const open = async (config: Config) => {
    const own = await openStores(config);
    const closed = whenClosed(own);
    const complete = own.queue.completeDeletions.bind(own.queue);
    own.queue.completeDeletions = async (owner, ids) => {
      const answer = await complete(owner, ids);
      applied = true;
      task.deadline = Date.now();
      task.settleBy = task.deadline + settleMs;
      return Promise.race([delay(2 * STOP_POLL_MS).then(() => answer), closed]);
    };
    return own;
  };

  const results = await runDeletions(task, open);
  expect(applied).toBe(true);
  expect(await isGone(stores, id)).toBe(true); // the record went with the completion
  expect(await stores.records.getVideo(kept)).toBeDefined();
  return { id, results };
}

it('a completion applied before the deadline, answered after it, is reported done', async () => {
  // Generous: the answer comes 2 × STOP_POLL_MS after the deadline.
  const { id, results } = await deleteAtDeadline(60_000);
  // Before the wait: failed, 'complete: … deadline …' (ERR_TASK_DEADLINE), and never retried.
  expect(results).toMatchObject([{ videoId: id, outcome: 'done' }]);
  expect(results[0]?.error).toBeUndefined();
});

it('one answered past settleBy fails in its complete step, marked unanswered (it may be applied)', async () => {
  const { id, results } = await deleteAtDeadline(0);
  expect(results).toMatchObject([
    { videoId: id, outcome: 'failed', unanswered: true, error: { code: 'ERR_TASK_DEADLINE' } },
  ]);
  expect(results[0]?.error?.message).toMatch(/^complete: /);
});
