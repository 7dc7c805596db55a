/**
 * What the scheduler hands its actor threads (dispatcher.worker.ts, executor.worker.ts) as
 * workerData: plain data only (structured clone), so a thread shares no object with the main
 * thread and a restarted thread starts from exactly the same description.
 *
 * The stores a thread opens are a real parameter (`SchedulerOptions.stores`): by default
 * `openStores` from src/store, or any module exporting `openStores(config, data)` — how a test
 * passes a store wrapper (an injected claim failure) without a hook in the production code.
 */
import type { Config } from '../config.js';
import type { Stores } from '../store/index.js';
import type { WorkerFile } from '../worker-file.js';

/** A WorkerFile as plain data (URL objects do not survive structured clone). */
export interface PlainWorkerFile {
  readonly href: string;
  readonly path: string;
  readonly execArgv: readonly string[];
}

export interface ThreadData {
  readonly config: Config;
  readonly owner: string;
  readonly leaseMs: number;
  readonly taskTimeoutMs: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly poolThreads: number;
  /** The deletion task module run by the executor's pool. */
  readonly taskFile: PlainWorkerFile;
  /** A module exporting `openStores(config, data)`; undefined = src/store's openStores. */
  readonly storesModule: string | undefined;
  readonly storesData: unknown;
}

export function plainFile(f: WorkerFile): PlainWorkerFile {
  return { href: f.url.href, path: f.path, execArgv: [...f.execArgv] };
}

export function workerFileOf(f: PlainWorkerFile): WorkerFile {
  return { url: new URL(f.href), path: f.path, execArgv: [...f.execArgv] };
}

type Opener = (config: Config, data: unknown) => Promise<Stores>;

/**
 * The thread's stores, opened on first use and kept for the thread's life. A failed open is
 * forgotten, so the next call tries again (the database may be back).
 */
export function lazyStores(data: ThreadData): () => Promise<Stores> {
  let opening: Promise<Stores> | undefined;
  return () => {
    opening ??= (async () => {
      const mod = (await import(data.storesModule ?? '../store/index.js')) as {
        openStores: Opener;
      };
      return mod.openStores(data.config, data.storesData);
    })();
    opening.catch(() => {
      opening = undefined;
    });
    return opening;
  };
}
