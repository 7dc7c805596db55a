/**
 * The LMDB environment the record store's parts share (lmdb-records.ts: users and sessions;
 * lmdb-videos.ts: videos and comments; lmdb-queue.ts: the deletion queue; the rate limiter):
 * one root, its named databases, and the one way to write.
 *
 * Invariants: see lmdb-records.ts (one `transaction()` callback per multi-key write; callbacks
 * never throw; reads inside a callback see the latest committed state).
 *
 * Threads: a worker thread that opened an environment closes it (and waits for the close)
 * before anyone calls worker.terminate() on it, or ends by itself. terminate() marks the
 * thread's env as stopping at once, from the other thread; an lmdb-js native method running
 * there before V8 interrupts it (Txn.abort in close(), Txn.renew, Env.stat, write calls) then
 * cannot unwrap its object, and node-addon-api aborts the whole process ("FATAL ERROR:
 * Error::ThrowAsJavaScriptException napi_throw"). No state of ours avoids it: only not
 * terminating a thread that may be inside lmdb-js does (ThreadStores.close in
 * src/scheduler/thread-data.ts; closeReader in test/store/lmdb-concurrency.test.ts; a deletion
 * task stops by itself at its deadline or a stop, src/scheduler/deletion.task.ts). An idle thread
 * with its environment open runs none: ending it was measured safe (410 of 410,
 * bench/results/scheduler-idle-exit.md; test/scheduler/idle-exit.test.ts).
 */
import { type Database, type Key, open, type RootDatabase } from 'lmdb';
import { StoreClosedError, StoreUnavailableError } from './errors.js';

export const MAX = Number.MAX_SAFE_INTEGER;

export class LmdbEnv {
  readonly root: RootDatabase;
  #closed: Promise<void> | undefined;

  /** Opens (creating if needed) the environment at `path`; ERR_STORE_UNAVAILABLE if it cannot. */
  constructor(path: string) {
    try {
      // 64 GiB of address space, not of disk: LMDB maps the file lazily. maxDbs is a ceiling on
      // named databases (each costs a few bytes per environment), with room to grow.
      this.root = open({ path, maxDbs: 32, mapSize: 64 * 1024 ** 3 });
    } catch (cause) {
      throw new StoreUnavailableError(`cannot open LMDB at ${path}: ${String(cause)}`, { cause });
    }
  }

  /** A named database of msgpack values. */
  db<V, K extends Key>(name: string): Database<V, K> {
    return this.root.openDB<V, K>({ name, encoding: 'msgpack' });
  }

  /** Throws StoreClosedError once closing started. */
  assertOpen(): void {
    if (this.#closed) throw new StoreClosedError();
  }

  /** Runs `fn` in a write transaction; errors from LMDB itself become ERR_STORE_UNAVAILABLE. */
  async tx<T>(fn: () => T): Promise<T> {
    this.assertOpen();
    try {
      return await this.root.transaction(fn);
    } catch (cause) {
      throw new StoreUnavailableError(`LMDB write failed: ${String(cause)}`, { cause });
    }
  }

  /** Idempotent: later callers wait for the first close. */
  close(): Promise<void> {
    this.#closed ??= this.root.close();
    return this.#closed;
  }
}
