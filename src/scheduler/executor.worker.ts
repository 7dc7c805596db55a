/**
 * The executor actor's thread: `execute(batch)` runs the batch on a deletion pool owned by this
 * thread (its task threads end with it, so a replaced executor leaves no task running).
 *
 * A crash of this thread (an uncaught exception: a bug, a store call that throws asynchronously,
 * letItCrash's rethrow) drains before the thread ends (crash-drain.ts): ending it at once would
 * end the pool threads inside lmdb-js calls and abort the process.
 */
import { workerData } from 'node:worker_threads';
import { ActorStoppedError, exposeThreadActor } from '../actors/index.js';
import { createLogger } from '../log.js';
import type { DeletionRecord } from '../store/types.js';
import { drainOnCrash } from './crash-drain.js';
import { createDeletionPool } from './deletion-pool.js';
import { type BatchReport, executeBatch } from './executor.js';
import { letItCrash } from './let-it-crash.js';
import { abortGraceMs, SCHEDULER_DEFAULTS } from './options.js';
import { lazyStores, type ThreadData, workerFileOf } from './thread-data.js';

const data = workerData as ThreadData;
const stores = lazyStores(data);
const pool = createDeletionPool({ threads: data.poolThreads, file: workerFileOf(data.taskFile) });
const log = createLogger('scheduler').child('video-cleanup');
const inHand = new Set<Promise<unknown>>();

/**
 * Before the thread is terminated (a stop) or ends by its crash: lets running tasks finish, ends
 * the pool threads, then closes this thread's stores (see ThreadStores.close).
 */
async function close(): Promise<void> {
  await pool.close();
  await stores.close();
}

const crash = drainOnCrash({
  name: 'executor',
  log,
  // The executes in hand answer before the stores close (their one failDeletions write).
  drain: async () => {
    await pool.close();
    await Promise.allSettled([...inHand]);
    await stores.close();
  },
  // What the main thread allows the execute in hand (its executeTimeoutMs), past which it would
  // replace this thread as wedged anyway.
  boundMs:
    data.taskTimeoutMs +
    abortGraceMs(data) +
    (data.executeMarginMs ?? SCHEDULER_DEFAULTS.executeMarginMs),
});

const run = letItCrash(async (batch: DeletionRecord[]) => {
  const { queue } = await stores.get();
  return executeBatch({ queue, pool, data, log }, batch);
});

const api = {
  execute: (batch: DeletionRecord[]): Promise<BatchReport> => {
    // Not through letItCrash: a refusal is no new crash.
    if (crash.crashed)
      return Promise.reject(new ActorStoppedError('executor thread crashed: ending'));
    const p = run(batch);
    inHand.add(p);
    void p.then(
      () => inHand.delete(p),
      () => inHand.delete(p),
    );
    return p;
  },
  close,
};
export type ExecutorApi = typeof api;

exposeThreadActor(api);
