/**
 * A crash of a thread that owns nested threads (the executor and its deletion pool), without
 * tearing them down mid-call. Node's own handling of an uncaught exception in a worker ends the
 * worker and every thread it started at once; a pool thread ended inside an lmdb-js native call
 * aborts the whole process (src/store/lmdb-env.ts) — one bug in the executor, or a store call
 * that throws asynchronously, would end the process whatever the supervisor does.
 *
 * Invariants:
 * - the first uncaught exception — or unhandled rejection: Node's default ('throw') raises it as
 *   one — starts the drain; later ones are only logged;
 * - from then on `crashed` is true and the thread takes no new work (its methods refuse), so the
 *   drain only waits for what is in hand: the pool's running tasks (each stops at its deadline,
 *   or its thread is ended by its abort), then the calls in hand, then the thread's stores;
 * - the drain is bounded (`boundMs`): past it the thread ends anyway and Node ends what is left
 *   of its nested threads — the old behaviour, only for tasks that outlived their own abort;
 * - the thread then ends by rethrowing the first error with the handler removed: Node's own
 *   uncaught-exception exit (an 'error' event carrying that error, exit code 1), so the parent
 *   sees the same crash and its supervisor restarts the thread, within its intensity, as before.
 * process.exit() in the thread is not caught here: it ends the nested threads at once too.
 */
import type { Logger } from '../log.js';

export interface CrashDrain {
  /** True once an uncaught exception started the drain: take no new work. */
  readonly crashed: boolean;
}

export interface CrashDrainOptions {
  /** Names the thread in the log line. */
  name: string;
  log: Logger;
  /** Lets the work in hand finish and closes what must be closed before the thread ends. */
  drain(): Promise<void>;
  /** Longest the drain may take before the thread ends anyway. */
  boundMs: number;
}

export function drainOnCrash(o: CrashDrainOptions): CrashDrain {
  const state = { crashed: false };
  const onUncaught = (err: unknown, origin: string) => {
    if (state.crashed) {
      o.log.error(`uncaught exception while the ${o.name} thread drains`, { err, origin });
      return;
    }
    state.crashed = true;
    o.log.error(`${o.name} thread crashed: draining its pool, then ending`, {
      err,
      origin,
      boundMs: o.boundMs,
    });
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        o.log.error(`${o.name} thread's crash drain ran past its bound: ending it anyway`, {
          boundMs: o.boundMs,
        });
        resolve();
      }, o.boundMs);
    });
    const drained = o.drain().catch((e: unknown) => {
      o.log.error(`${o.name} thread's crash drain failed: ending it anyway`, { err: e });
    });
    void Promise.race([drained, bound]).then(() => {
      clearTimeout(timer);
      process.off('uncaughtException', onUncaught);
      // Outside any promise chain, so Node treats it as the uncaught exception it was.
      setImmediate(() => {
        throw err;
      });
    });
  };
  process.on('uncaughtException', onUncaught);
  return {
    get crashed() {
      return state.crashed;
    },
  };
}
