/**
 * Graceful shutdown: close() lets the batch in hand finish within the deadline, starts no new
 * one and gives back the leases of the batch claimed ahead; past the deadline the running tasks
 * are cut off and nothing is written for them, and the batch claimed ahead is still given back.
 * Each actor thread closes its stores before it is ended.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { startScheduler } from '../../src/scheduler/index.js';
import { openStores, type Stores } from '../../src/store/index.js';
import { workerFile } from '../../src/worker-file.js';
import { countControl, counted } from '../fixtures/scheduler/counted-stores.js';
import type { TestTaskOptions } from '../fixtures/scheduler/test-deletion.task.js';
import { isGone, isIntact, seedVideo, tempConfig, waitFor } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(n: number) {
  const t = await tempConfig();
  cleanups.push(t.cleanup);
  const stores = await openStores(t.config);
  cleanups.push(() => stores.close());
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await seedVideo(stores));
  for (const id of ids) await stores.queue.enqueueDeletion(id);
  return { ...t, stores, ids, dataDir: t.config.dataDir };
}

async function leased(stores: Stores, ids: string[], owner: string): Promise<string[]> {
  const out: string[] = [];
  for (const id of ids) if ((await stores.queue.getDeletion(id))?.owner === owner) out.push(id);
  return out;
}

const quiet = createLogger('test', 100);
const taskFile = workerFile(import.meta.url, '../fixtures/scheduler/test-deletion.task');
/** The tests' task reads VS_TEST_TASK; the actor threads copy the environment when they start. */
function testTask(task: TestTaskOptions): void {
  process.env.VS_TEST_TASK = JSON.stringify(task);
}

describe('scheduler close()', () => {
  it('finishes the batch in hand within the deadline, starts no new one, gives back the batch claimed ahead', async () => {
    const { config, stores, ids, dataDir } = await setup(6);
    const gate = join(dataDir, 'gate');
    testTask({ gate });
    // The batch in hand waits at the gate for as long as the machine takes to show the batch
    // claimed ahead: a task timeout far above that keeps it from being aborted meanwhile.
    const s = startScheduler(
      config,
      { records: stores.records, queue: stores.queue, log: quiet },
      { batch: 3, poolThreads: 3, leaseMs: 600_000, taskTimeoutMs: 300_000, taskFile },
    );
    cleanups.push(() => s.close(100));
    // The batch in hand waits at the gate; the next one is claimed ahead meanwhile.
    await waitFor('a batch in hand and one claimed ahead', async () => {
      const claimed = s.stats().runners['video-cleanup']?.claimed;
      return claimed === 3 && (await leased(stores, ids, s.owner)).length === 6;
    });
    const closing = s.close(60_000);
    await writeFile(gate, '');
    expect(await closing).toBe(true);
    const batch: string[] = [];
    for (const id of ids) if (await isGone(stores, id)) batch.push(id);
    expect(batch).toHaveLength(3);
    for (const id of ids.filter((id) => !batch.includes(id))) {
      expect(await isIntact(stores, id)).toBe(true);
      // Given back, not left leased: claimable at once, no attempt counted.
      expect(await stores.queue.getDeletion(id)).toMatchObject({
        owner: undefined,
        leaseUntil: undefined,
        attempts: 0,
      });
    }
    expect((await stores.queue.countDeletions()).pending).toBe(3);
    expect(s.stats().runners['video-cleanup']).toMatchObject({ claimed: 3, done: 3, inFlight: 0 });
  }, 120_000);

  it('past the deadline cuts the batch in hand off, writes nothing for it, still gives back the batch claimed ahead', async () => {
    const { config, stores, ids, dataDir } = await setup(6);
    // Never opened: the batch in hand waits at the gate until the stop cuts it off. A stop that
    // waited for it instead would wait for its 300 s task timeout, past this test's own.
    testTask({ gate: join(dataDir, 'gate') });
    const s = startScheduler(
      config,
      { records: stores.records, queue: stores.queue, log: quiet },
      {
        batch: 3,
        poolThreads: 3,
        leaseMs: 600_000,
        taskTimeoutMs: 300_000,
        taskFile,
        // The give-back (a dispatcher ask and a store write) may take long on a loaded machine:
        // the test must not hinge on it beating the 2 s default. Without the give-back the
        // records claimed ahead stay leased and the checks below fail.
        releaseAfterDeadlineMs: 60_000,
      },
    );
    cleanups.push(() => s.close(100));
    await waitFor('a batch in hand and one claimed ahead', async () => {
      const claimed = s.stats().runners['video-cleanup']?.claimed;
      return claimed === 3 && (await leased(stores, ids, s.owner)).length === 6;
    });
    expect(await s.close(200)).toBe(false);
    for (const id of ids) expect(await isIntact(stores, id)).toBe(true);
    // The batch in hand: still ours until the lease expires, no failure recorded for it.
    const inHand = await leased(stores, ids, s.owner);
    expect(inHand).toHaveLength(3);
    for (const id of inHand) {
      expect(await stores.queue.getDeletion(id)).toMatchObject({ attempts: 0 });
    }
    // The batch claimed ahead: given back though the deadline passed, no attempt counted...
    const ahead = ids.filter((id) => !inHand.includes(id));
    for (const id of ahead) {
      expect(await stores.queue.getDeletion(id)).toMatchObject({
        owner: undefined,
        leaseUntil: undefined,
        attempts: 0,
      });
    }
    // ...so another dispatcher claims exactly it at once, 10 minutes before its lease would end.
    const next = await stores.queue.claimDeletions('other', 6, 60_000);
    expect(next.map((d) => d.videoId).sort()).toEqual([...ahead].sort());
    expect(next.map((d) => d.attempts)).toEqual([0, 0, 0]);
  }, 120_000);

  it('each actor thread closes the stores it opened before its thread is ended', async () => {
    // worker.terminate() while an lmdb-js native method runs aborts the whole process; a thread
    // whose stores are closed runs none, so its terminate is safe (ThreadStores.close).
    const { config, stores, ids } = await setup(2);
    testTask({});
    const control = countControl();
    const module = pathToFileURL(
      join(import.meta.dirname, '../fixtures/scheduler/counted-stores.ts'),
    );
    const s = startScheduler(
      config,
      { records: stores.records, queue: stores.queue, log: quiet },
      { batch: 2, poolThreads: 1, taskFile, stores: { module: module.href, data: { control } } },
    );
    cleanups.push(() => s.close(100));
    await waitFor('both videos deleted', async () => {
      for (const id of ids) if (!(await isGone(stores, id))) return false;
      return true;
    });
    const { opened } = counted(control);
    expect(opened).toBeGreaterThanOrEqual(2); // the dispatcher's and the executor's
    expect(counted(control).closed).toBe(0);
    expect(await s.close(60_000)).toBe(true);
    expect(counted(control)).toMatchObject({ opened, closed: opened });
  }, 120_000);
});
