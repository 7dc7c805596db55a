/**
 * The dispatcher actor's thread: `claim(limit)` and `release(ids)` on its own deletion queue;
 * `close()` closes that store before the thread is terminated (see ThreadStores.close).
 */
import { workerData } from 'node:worker_threads';
import { exposeThreadActor } from '../actors/index.js';
import { claimBatch, releaseBatch } from './dispatcher.js';
import { letItCrash } from './let-it-crash.js';
import { unlessStopping } from './task-signals.js';
import { lazyStores, type ThreadData } from './thread-data.js';

const data = workerData as ThreadData;
const stores = lazyStores(data);

// Once a stop cut the rounds off (task-signals.ts), this thread is about to be ended: no store
// call starts (claim nothing, give nothing back: the leases expire), and one started holds the
// stop off until it is done — ending the thread inside an lmdb-js call aborts the process.
const api = {
  claim: letItCrash((limit: number) =>
    unlessStopping(
      data.signals,
      [],
      async () => claimBatch((await stores.get()).queue, data, limit),
      data.held,
    ),
  ),
  release: letItCrash((ids: string[]) =>
    unlessStopping(
      data.signals,
      0,
      async () => releaseBatch((await stores.get()).queue, data, ids),
      data.held,
    ),
  ),
  close: () => stores.close(),
};
export type DispatcherApi = typeof api;

exposeThreadActor(api);
