/**
 * Thread actors: an object's methods running on a worker_thread, called from here with typed,
 * promise-returning methods through comlink. Fixes what comlink leaves open:
 *   - a call pending when the worker exits (crash, process.exit, OOM, terminate) is rejected —
 *     comlink would leave it pending forever — with ERR_WORKER_EXITED, or ERR_ACTOR_STOPPED when
 *     we stopped it; every call also has a mandatory timeout (ERR_ASK_TIMEOUT);
 *   - one worker per incarnation: a restart (by a Supervisor; a ThreadActor is Supervisable) is a
 *     new ThreadActor; the old one's listeners are removed and its pending map emptied on exit,
 *     so nothing leaks across restarts;
 *   - errors thrown by methods come back as their own classes (comlink-errors.ts).
 *
 * States: RUNNING → STOPPING (stop(): no new calls; pending ones finish; then terminate) →
 * EXITED. A worker exit in RUNNING is a crash (exit code ≠ 0 or an 'error' event) or a normal
 * stop (the worker ended by itself with code 0).
 */
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { type Remote, wrap } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { WorkerFile } from '../worker-file.js';
import type { ExitReason } from './actor.js';
import './comlink-errors.js';
import {
  ActorStoppedError,
  AskTimeoutError,
  InvalidArgumentError,
  WorkerExitedError,
} from './errors.js';
import { READY } from './thread-actor-host.js';

// biome-ignore lint/suspicious/noExplicitAny: matching any function signature
type Fn = (...args: any[]) => any;
/** The methods of T, each returning a promise of its (awaited) result. */
export type Calls<T> = {
  [K in keyof T as T[K] extends Fn ? K : never]: T[K] extends (...a: infer A) => infer R
    ? (...a: A) => Promise<Awaited<R>>
    : never;
};

export interface ThreadActorOptions {
  /** Milliseconds each call may take before it rejects with ERR_ASK_TIMEOUT. Mandatory. */
  timeoutMs: number;
  /** @default the file name */
  name?: string;
  /** Per-worker V8 heap limits; exceeding them kills that worker only (a crash). */
  resourceLimits?: ResourceLimits;
  workerData?: unknown;
}

interface Pending {
  reject(e: unknown): void;
}

let live = 0;

export class ThreadActor<T> {
  /** Workers started by thread actors and not yet exited, in this thread (leak checks). */
  static get live(): number {
    return live;
  }

  readonly name: string;
  readonly exited: Promise<ExitReason>;
  readonly api: Calls<T>;
  readonly #worker: Worker;
  readonly #remote: Remote<Record<string, Fn>>;
  readonly #timeoutMs: number;
  readonly #pending = new Set<Pending>();
  #exit!: (r: ExitReason) => void;
  #stopping: Promise<void> | undefined;
  #exitedFlag = false;
  #crash: unknown;

  private constructor(file: WorkerFile, o: ThreadActorOptions) {
    this.name = o.name ?? file.path.split('/').pop()!;
    this.#timeoutMs = o.timeoutMs;
    this.exited = new Promise((r) => (this.#exit = r));
    this.#worker = new Worker(file.url, {
      execArgv: file.execArgv,
      workerData: o.workerData,
      resourceLimits: o.resourceLimits,
    });
    live++;
    // comlink adds one 'message' listener per pending call; many concurrent calls are normal.
    this.#worker.setMaxListeners(0);
    this.#worker.on('error', (err) => (this.#crash ??= err));
    this.#worker.once('exit', (code) => this.#onExit(code));
    this.#remote = wrap(nodeEndpoint(this.#worker));
    const calls = new Map<string | symbol, Fn>();
    this.api = new Proxy({} as Calls<T>, {
      get: (_, key) => {
        if (typeof key !== 'string' || key === 'then') return undefined;
        let f = calls.get(key);
        if (f === undefined) calls.set(key, (f = (...args: unknown[]) => this.#call(key, args)));
        return f;
      },
    });
  }

  /** Start the worker and resolve once its host called exposeThreadActor. */
  static spawn<T>(file: WorkerFile, options: ThreadActorOptions): Promise<ThreadActor<T>> {
    const t = options?.timeoutMs;
    if (typeof t !== 'number' || !(t > 0) || !Number.isFinite(t)) {
      return Promise.reject(
        new InvalidArgumentError('options.timeoutMs must be a positive number'),
      );
    }
    if (typeof file?.url !== 'object' || !Array.isArray(file.execArgv)) {
      return Promise.reject(new InvalidArgumentError('file must come from workerFile()'));
    }
    const actor = new ThreadActor<T>(file, options);
    return new Promise((resolve, reject) => {
      const onMessage = (m: unknown) => {
        if (typeof m === 'object' && m !== null && READY in m) {
          actor.#worker.off('message', onMessage);
          resolve(actor);
        }
      };
      actor.#worker.on('message', onMessage);
      void actor.exited.then((exit) =>
        reject(
          exit.reason === 'crashed'
            ? exit.error
            : new WorkerExitedError(`${actor.name} exited before it was ready`),
        ),
      );
    });
  }

  /** The worker's thread id (for the supervision tree). */
  get threadId(): number {
    return this.#worker.threadId;
  }

  get running(): boolean {
    return !this.#exitedFlag && this.#stopping === undefined;
  }

  /** Calls pending now (for tests and metrics). */
  get pendingCalls(): number {
    return this.#pending.size;
  }

  /** Let pending calls finish (each within its timeout), then end the worker. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      while (this.#pending.size > 0 && !this.#exitedFlag) {
        await Promise.race([
          this.exited,
          ...[...this.#pending].map((p) => (p as PendingCall).done),
        ]);
      }
      await this.#worker.terminate();
      await this.exited;
    })();
    return this.#stopping;
  }

  /** End the worker now; pending calls reject with ERR_ACTOR_STOPPED. */
  async kill(): Promise<void> {
    this.#stopping ??= this.exited.then(() => undefined);
    await this.#worker.terminate();
    await this.exited;
  }

  #call(method: string, args: unknown[]): Promise<unknown> {
    if (!this.running) {
      return Promise.reject(new ActorStoppedError(`${this.name} is stopped`));
    }
    const p = {} as PendingCall;
    const result = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        settle();
        reject(
          new AskTimeoutError(`${this.name}.${method}: no reply within ${this.#timeoutMs} ms`),
        );
      }, this.#timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        this.#pending.delete(p);
      };
      p.reject = (e) => {
        settle();
        reject(e);
      };
      this.#remote[method]!(...args).then(
        (v: unknown) => {
          settle();
          resolve(v);
        },
        (e: unknown) => {
          settle();
          reject(e);
        },
      );
    });
    p.done = result.then(
      () => {},
      () => {},
    );
    this.#pending.add(p);
    return result;
  }

  #onExit(code: number): void {
    live--;
    this.#exitedFlag = true;
    const crashed = this.#stopping === undefined && (code !== 0 || this.#crash !== undefined);
    const error = crashed
      ? (this.#crash ?? new WorkerExitedError(`${this.name} exited with code ${code}`))
      : undefined;
    for (const p of [...this.#pending]) {
      p.reject(
        this.#stopping !== undefined
          ? new ActorStoppedError(`${this.name} was stopped`)
          : new WorkerExitedError(`${this.name} exited with code ${code}`),
      );
    }
    // The comlink listeners of calls that never got an answer hold their resolvers: drop them.
    this.#worker.removeAllListeners('message');
    this.#exit(crashed ? { reason: 'crashed', error } : { reason: 'stopped' });
  }
}

interface PendingCall extends Pending {
  done: Promise<void>;
}

/** Start a thread actor from a worker file whose entry calls `exposeThreadActor`. */
export function spawnThreadActor<T>(
  file: WorkerFile,
  options: ThreadActorOptions,
): Promise<ThreadActor<T>> {
  return ThreadActor.spawn<T>(file, options);
}
