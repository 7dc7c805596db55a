/**
 * The executor actor's thread: `execute(batch)` runs the batch on a deletion pool owned by this
 * thread (its task threads end with it, so a replaced executor leaves no task running).
 */
import { workerData } from 'node:worker_threads';
import { exposeThreadActor } from '../actors/index.js';
import { createLogger } from '../log.js';
import type { DeletionRecord } from '../store/types.js';
import { createDeletionPool } from './deletion-pool.js';
import { executeBatch } from './executor.js';
import { letItCrash } from './let-it-crash.js';
import { lazyStores, type ThreadData, workerFileOf } from './thread-data.js';

const data = workerData as ThreadData;
const stores = lazyStores(data);
const pool = createDeletionPool({ threads: data.poolThreads, file: workerFileOf(data.taskFile) });
const log = createLogger('scheduler').child('video-cleanup');

const api = {
  execute: letItCrash(async (batch: DeletionRecord[]) => {
    const { queue } = await stores.get();
    return executeBatch({ queue, pool, data, log }, batch);
  }),
  /**
   * Before the thread is terminated: lets running tasks finish, ends the pool threads, then
   * closes this thread's stores (see ThreadStores.close).
   */
  close: async () => {
    await pool.close();
    await stores.close();
  },
};
export type ExecutorApi = typeof api;

exposeThreadActor(api);
