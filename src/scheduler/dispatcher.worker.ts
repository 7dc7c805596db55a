/**
 * The dispatcher actor's thread: `claim(limit)` and `release(ids)` on its own deletion queue;
 * `close()` closes that store before the thread is terminated (see ThreadStores.close).
 */
import { workerData } from 'node:worker_threads';
import { exposeThreadActor } from '../actors/index.js';
import { claimBatch, releaseBatch } from './dispatcher.js';
import { letItCrash } from './let-it-crash.js';
import { lazyStores, type ThreadData } from './thread-data.js';

const data = workerData as ThreadData;
const stores = lazyStores(data);

const api = {
  claim: letItCrash(async (limit: number) => claimBatch((await stores.get()).queue, data, limit)),
  release: letItCrash(async (ids: string[]) => releaseBatch((await stores.get()).queue, data, ids)),
  close: () => stores.close(),
};
export type DispatcherApi = typeof api;

exposeThreadActor(api);
