/**
 * The video-cleanup actors on their threads, under a one-for-one supervisor (main thread):
 *   video-cleanup.dispatcher  dispatcher.worker.ts  claim(limit), release(ids)
 *   video-cleanup.executor    executor.worker.ts    execute(batch), with its deletion pool
 *
 * Invariants:
 * - a call goes to the child's current incarnation; while a child is restarting (or after the
 *   supervisor stopped) the call rejects at once with ERR_ACTOR_STOPPED: the round ends with that
 *   error and the next tick tries again — a tick never waits for a restart;
 * - a thread that dies (a bug, an out-of-memory, a task file that exits the executor) rejects its
 *   pending call (ERR_WORKER_EXITED) and is replaced; an uncaught exception in the executor's
 *   thread first lets its pool's tasks and the execute in hand finish (crash-drain.ts), so the
 *   crash never ends a pool thread inside lmdb-js; more than `intensity` restarts within
 *   `periodMs` → the supervisor stops both and `failed` resolves with ERR_SUPERVISOR_GAVE_UP
 *   naming the actor (startScheduler escalates it to its own supervisor);
 * - an execute call with no answer within `executeTimeoutMs` (its tasks were aborted long
 *   before: a store call in the thread never returns) marks the executor wedged, and a claim or
 *   release with none within `claimTimeoutMs` (a store call that stalls for good) the dispatcher:
 *   that incarnation is killed and the supervisor starts a fresh one (a restart like any other);
 *   the leases of what it held expire and its records come back;
 * - the threads open their own stores (thread-data.ts); nothing but plain data crosses.
 */
import { WorkerExitedError } from '../actors/errors.js';
import {
  ActorStoppedError,
  AskTimeoutError,
  type ChildInfo,
  type Supervisor,
  spawnThreadActor,
  startSupervisor,
  type ThreadActor,
} from '../actors/index.js';
import type { Logger } from '../log.js';
import type { DeletionRecord } from '../store/types.js';
import { workerFile } from '../worker-file.js';
import type { DispatcherApi } from './dispatcher.worker.js';
import type { BatchReport } from './executor.js';
import type { ExecutorApi } from './executor.worker.js';
import { SCHEDULER_DEFAULTS } from './options.js';
import { DISPATCHER, EXECUTOR } from './stats-board.js';
import { heldCount, releaseHeld, stopTasks } from './task-signals.js';
import type { ThreadData } from './thread-data.js';

export interface CleanupThreads {
  claim(limit: number): Promise<DeletionRecord[]>;
  /** Gives back leases claimed and not executed (releaseDeletions); resolves with how many. */
  release(videoIds: string[]): Promise<number>;
  execute(batch: DeletionRecord[]): Promise<BatchReport>;
  /** The supervision tree: each actor's thread, state and restart count. */
  tree(): ChildInfo[];
  /** Resolves with the error if the supervisor gave up (never resolves otherwise). */
  readonly failed: Promise<unknown>;
  /** Lets the batch in hand finish (executor's pool closes), then ends both threads. */
  stop(): Promise<void>;
  /**
   * Ends both threads now, after the running deletion tasks stopped (bounded: stopTasks); their
   * records are left to their leases.
   */
  kill(): Promise<void>;
}

export interface CleanupThreadsOptions {
  data: ThreadData;
  intensity: number;
  periodMs: number;
  /**
   * Timeout of an execute call (a whole batch), past which the executor is wedged and replaced;
   * also how long a stop waits for the executor (its pending call is bounded by the same).
   */
  executeTimeoutMs: number;
  /**
   * Timeout of a claim or release call, past which the dispatcher is wedged and replaced; also
   * how long a stop waits for the dispatcher (its pending call is bounded by the same).
   * @default SCHEDULER_DEFAULTS.claimTimeoutMs
   */
  claimTimeoutMs?: number;
  log: Logger;
  /** Called with the tree whenever it may have changed (start, restart, give-up, each claim). */
  onTree?(tree: ChildInfo[]): void;
}

export function startCleanupThreads(o: CleanupThreadsOptions): CleanupThreads {
  const { data, log } = o;
  const claimTimeoutMs = o.claimTimeoutMs ?? SCHEDULER_DEFAULTS.claimTimeoutMs;
  // Each incarnation counts its store calls in a cell of its own too: what a thread still held
  // when it exited (killed wedged, crashed) is taken back, or a later stop would wait for it.
  const spawn = async <T>(file: string, name: string, timeoutMs: number) => {
    const held = heldCount();
    const workerData: ThreadData = { ...data, held };
    const actor = await spawnThreadActor<T>(workerFile(import.meta.url, file), {
      name,
      timeoutMs,
      workerData,
    });
    void actor.exited.then(() => releaseHeld(data.signals, held));
    return actor;
  };
  let gaveUp!: (e: unknown) => void;
  const failed = new Promise<unknown>((r) => (gaveUp = r));
  const ready: Promise<Supervisor> = startSupervisor({
    intensity: o.intensity,
    periodMs: o.periodMs,
    children: [
      {
        id: DISPATCHER,
        start: () => spawn<DispatcherApi>('./dispatcher.worker', DISPATCHER, claimTimeoutMs),
        // As the executor's: a stop lets the pending call (a claim, or a release giving leases
        // back) finish within its own bound before the supervisor kills the thread, rather than
        // the supervisor's 5 s default, which cut a call short that still had time to answer.
        shutdownMs: claimTimeoutMs,
      },
      {
        id: EXECUTOR,
        start: () => spawn<ExecutorApi>('./executor.worker', EXECUTOR, o.executeTimeoutMs),
        shutdownMs: o.executeTimeoutMs,
      },
    ],
    onEvent: (e) => {
      void ready.then(publish, () => {});
      if (e.type === 'restart') {
        log.warn('actor thread replaced', { actor: e.id, exit: describe(e.exit) });
      } else if (e.type === 'gave-up') {
        log.error('restart intensity exceeded: supervisor gives up', {
          actor: e.id,
          intensity: o.intensity,
          periodMs: o.periodMs,
          exit: describe(e.exit),
        });
      }
    },
  });
  ready.then(
    (sup) =>
      sup.exited.then((exit) => {
        if (exit.reason === 'crashed') gaveUp(exit.error);
      }),
    (err: unknown) => {
      log.error('the video-cleanup actor threads could not start', { error: err });
      gaveUp(err);
    },
  );
  ready.catch(() => {});

  async function current<T>(id: string): Promise<ThreadActor<T>> {
    const child = (await ready).child<ThreadActor<T>>(id);
    if (child === undefined || !child.running) {
      throw new ActorStoppedError(`${id} is restarting or stopped`);
    }
    return child;
  }

  let sup: Supervisor | undefined;
  const publish = () => o.onTree?.(sup?.children() ?? []);
  ready
    .then((s) => {
      sup = s;
      publish();
    })
    .catch(() => {});
  /**
   * Asks the child's current incarnation; a call with no answer within its ask timeout means the
   * thread is stuck on something that never returns (no error will come): that incarnation is
   * killed so the supervisor starts a fresh one, and the call still rejects (the round ends).
   */
  async function askOrReplace<T, R>(
    id: string,
    timeoutMs: number,
    call: (api: ThreadActor<T>['api']) => Promise<R>,
    detail: Record<string, unknown>,
  ): Promise<R> {
    const actor = await current<T>(id);
    try {
      return await call(actor.api);
    } catch (err) {
      if (err instanceof AskTimeoutError && actor.running) {
        const role = id.slice(id.lastIndexOf('.') + 1); // 'dispatcher' | 'executor'
        log.error(`${role} wedged: no answer within its bound, replacing its thread`, {
          actor: id,
          timeoutMs,
          ...detail,
        });
        // A killed permanent child is restarted by the supervisor (within its intensity).
        void actor.kill().catch(() => {});
      }
      throw err;
    }
  }

  return {
    claim: async (limit) => {
      publish();
      return askOrReplace<DispatcherApi, DeletionRecord[]>(
        DISPATCHER,
        claimTimeoutMs,
        (api) => api.claim(limit),
        { call: 'claim', limit },
      );
    },
    release: (ids) =>
      askOrReplace<DispatcherApi, number>(DISPATCHER, claimTimeoutMs, (api) => api.release(ids), {
        call: 'release',
        records: ids.length,
      }),
    execute: (batch) =>
      askOrReplace<ExecutorApi, BatchReport>(
        EXECUTOR,
        o.executeTimeoutMs,
        (api) => api.execute(batch),
        { call: 'execute', records: batch.length },
      ),
    tree: () => sup?.children() ?? [],
    failed,
    async stop() {
      const s = await ready.catch(() => undefined);
      if (!s) return;
      // Close the pool first so its task threads finish their tasks rather than being cut off;
      // each thread closes its stores before the supervisor terminates it (ThreadStores.close).
      await (s
        .child<ThreadActor<ExecutorApi>>(EXECUTOR)
        ?.api.close()
        .catch(() => {}) ?? undefined);
      await (s
        .child<ThreadActor<DispatcherApi>>(DISPATCHER)
        ?.api.close()
        .catch(() => {}) ?? undefined);
      await s.stop();
    },
    async kill() {
      const s = await ready.catch(() => undefined);
      if (!s) return;
      await stopTasks(data.signals, log);
      const children = [DISPATCHER, EXECUTOR].map((id) => s.child<ThreadActor<unknown>>(id));
      const stopping = s.stop(); // first: the supervisor must not restart what we kill
      await Promise.all(children.map((c) => c?.kill().catch(() => {})));
      await stopping;
    },
  };
}

function describe(exit: { reason: string; error?: unknown }): string {
  if (exit.reason !== 'crashed') return exit.reason;
  const e = exit.error;
  return e instanceof WorkerExitedError || e instanceof Error ? e.message : String(e);
}
