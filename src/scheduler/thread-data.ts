/**
 * What the scheduler hands its actor threads (dispatcher.worker.ts, executor.worker.ts) as
 * workerData: plain data only (structured clone; the SharedArrayBuffers are shared memory, no
 * object), so a thread shares no object with the main thread and a restarted thread starts from
 * the same description (with a `held` cell of its own).
 *
 * The stores a thread opens are a real parameter (`SchedulerOptions.stores`): by default
 * `openStores` from src/store, or any module exporting `openStores(config, data)` — how a test
 * passes a store wrapper (an injected claim failure) without a hook in the production code.
 */
import type { Config } from '../config.js';
import { StoreClosedError } from '../store/errors.js';
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
  /**
   * SchedulerOptions.executeMarginMs: bounds the executor thread's crash drain too.
   * @default SCHEDULER_DEFAULTS.executeMarginMs
   */
  readonly executeMarginMs?: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly poolThreads: number;
  /** The deletion task module run by the executor's pool. */
  readonly taskFile: PlainWorkerFile;
  /** A module exporting `openStores(config, data)`; undefined = src/store's openStores. */
  readonly storesModule: string | undefined;
  readonly storesData: unknown;
  /** The deletion tasks' stop flag and running count (taskSignals() in deletion-types.ts). */
  readonly signals: SharedArrayBuffer;
  /**
   * This thread incarnation's own count of its store calls in RUNNING_SLOT (heldCount(), set per
   * spawn by cleanup-threads.ts): taken back once the thread has exited (task-signals.ts).
   */
  readonly held?: SharedArrayBuffer;
}

export function plainFile(f: WorkerFile): PlainWorkerFile {
  return { href: f.url.href, path: f.path, execArgv: [...f.execArgv] };
}

export function workerFileOf(f: PlainWorkerFile): WorkerFile {
  return { url: new URL(f.href), path: f.path, execArgv: [...f.execArgv] };
}

type Opener = (config: Config, data: unknown) => Promise<Stores>;

export interface ThreadStores {
  /** The thread's stores, opened on first use and kept for the thread's life. */
  get(): Promise<Stores>;
  /**
   * Closes them if they were opened (idempotent; never throws). The thread's owner calls it
   * before the thread is terminated: worker.terminate() while an lmdb-js native method runs
   * aborts the whole process (node-addon-api cannot throw into a stopping thread), and an open
   * LMDB store may still run one (a write completing, a read transaction renewed). A closed
   * store runs none, so the terminate that follows is safe.
   */
  close(): Promise<void>;
}

/** A failed open is forgotten, so the next get() tries again (the database may be back). */
export function lazyStores(data: ThreadData): ThreadStores {
  let opening: Promise<Stores> | undefined;
  let closing: Promise<void> | undefined;
  return {
    get() {
      if (closing) return Promise.reject(new StoreClosedError()); // a store error: no crash
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
    },
    close() {
      const opened = opening;
      closing ??= (async () => {
        const stores = await opened?.catch(() => undefined);
        await stores?.close().catch(() => {});
      })();
      return closing;
    },
  };
}
