/**
 * One-for-one supervisor (Erlang's one_for_one): each child that exits is restarted alone,
 * according to its restart kind, unless restarts come too fast — more than `intensity` within
 * `periodMs` — then the supervisor stops every child and exits crashed with
 * ERR_SUPERVISOR_GAVE_UP, which its own supervisor sees as a crash (escalation).
 *
 * Restart kinds: permanent — always restarted; transient — restarted only after a crash;
 * temporary — never restarted (removed when it exits).
 *
 * States: STARTING (children started in order) → RUNNING → STOPPING (children stopped in reverse
 * start order, each within its `shutdownMs`, then `kill()`ed if it has one) → STOPPED | GAVE_UP.
 *
 * Invariants:
 *   - A child's exit is acted on only if that incarnation is still the current one and the
 *     supervisor is RUNNING; exits caused by our own shutdown are ignored.
 *   - `stop()` is idempotent; `exited` resolves once, after the last child stopped.
 */
import type { ExitReason } from './actor.js';
import { InvalidArgumentError, ShutdownTimeoutError, SupervisorGaveUpError } from './errors.js';

/** Anything a supervisor can watch: in-thread actors, thread actors, other supervisors. */
export interface Supervisable {
  stop(): Promise<void>;
  readonly exited: Promise<ExitReason>;
  /** Hard stop used when `stop()` misses the shutdown deadline (e.g. terminate a worker). */
  kill?(): Promise<void>;
  /** The worker thread it runs on, when it has one of its own (thread actors). */
  readonly threadId?: number;
}

/** One child as the supervision tree shows it (`/stats`). */
export interface ChildInfo {
  id: string;
  /** running: an incarnation is live; restarting: the last one exited and the next is starting;
   * exited: not restarted (temporary/transient) or the supervisor has stopped. */
  state: 'running' | 'restarting' | 'exited';
  /** The current incarnation's thread, or undefined for an in-thread child. */
  thread: number | undefined;
  restarts: number;
}

export type RestartKind = 'permanent' | 'transient' | 'temporary';

export interface ChildSpec<C extends Supervisable = Supervisable> {
  id: string;
  start(): C | Promise<C>;
  /** @default 'permanent' */
  restart?: RestartKind;
  /** Milliseconds `stop()` may take at shutdown before `kill()`. @default 5000 */
  shutdownMs?: number;
}

export interface SupervisorOptions {
  children: ChildSpec[];
  /** Most restarts tolerated within `periodMs`. @default 3 */
  intensity?: number;
  /** @default 5000 */
  periodMs?: number;
  /** Restarts, give-ups and shutdown timeouts, for logs and tests. */
  onEvent?(event: SupervisorEvent): void;
}

export type SupervisorEvent =
  | { type: 'restart'; id: string; exit: ExitReason }
  | { type: 'exit'; id: string; exit: ExitReason }
  | { type: 'gave-up'; id: string; exit: ExitReason }
  | { type: 'shutdown-timeout'; id: string; error: ShutdownTimeoutError };

export const SUPERVISOR_DEFAULTS = Object.freeze({
  intensity: 3,
  periodMs: 5000,
  shutdownMs: 5000,
});

/** Checks a `{ intensity, periodMs }` restart budget given as `options.restart` (the HTTP host's
 *  and the server's); TypeErrors name the option. */
export function validateRestartBudget(r: { intensity: number; periodMs: number }) {
  if (!Number.isInteger(r?.intensity) || r.intensity < 0)
    throw new TypeError('options.restart.intensity must be a non-negative integer');
  if (!(r.periodMs > 0)) throw new TypeError('options.restart.periodMs must be a positive number');
  return r;
}

interface Slot {
  spec: ChildSpec;
  child: Supervisable | undefined;
  restarts: number;
  restarting: boolean;
}

export class Supervisor implements Supervisable {
  readonly exited: Promise<ExitReason>;
  #slots: Slot[] = [];
  #restarts: number[] = [];
  #running = false;
  #stopping: Promise<void> | undefined;
  #exit!: (r: ExitReason) => void;
  readonly #o: Required<Omit<SupervisorOptions, 'onEvent'>> & Pick<SupervisorOptions, 'onEvent'>;

  private constructor(o: SupervisorOptions) {
    this.#o = { ...SUPERVISOR_DEFAULTS, ...o };
    this.exited = new Promise((r) => (this.#exit = r));
  }

  /** Validate, then start the children in order; a failing start stops the ones started. */
  static async start(options: SupervisorOptions): Promise<Supervisor> {
    const o = options;
    if (!Array.isArray(o?.children)) throw new InvalidArgumentError('options.children is required');
    if (o.intensity !== undefined && (!Number.isInteger(o.intensity) || o.intensity < 0)) {
      throw new InvalidArgumentError('options.intensity must be a non-negative integer');
    }
    if (o.periodMs !== undefined && !(o.periodMs > 0)) {
      throw new InvalidArgumentError('options.periodMs must be a positive number');
    }
    const ids = new Set<string>();
    for (const c of o.children) {
      if (typeof c?.id !== 'string' || ids.has(c.id) || typeof c.start !== 'function') {
        throw new InvalidArgumentError('options.children: each needs a unique id and a start()');
      }
      ids.add(c.id);
    }
    const sup = new Supervisor(o);
    for (const spec of o.children) {
      const slot: Slot = { spec, child: undefined, restarts: 0, restarting: false };
      sup.#slots.push(slot);
      try {
        sup.#watch(slot, await spec.start());
      } catch (err) {
        await sup.#shutdown();
        sup.#exit({ reason: 'crashed', error: err });
        throw err;
      }
    }
    sup.#running = true;
    return sup;
  }

  /** Each child's state, thread and restart count, in start order. */
  children(): ChildInfo[] {
    return this.#slots.map((s) => ({
      id: s.spec.id,
      state: s.restarting ? 'restarting' : s.child && this.#running ? 'running' : 'exited',
      thread: s.child?.threadId,
      restarts: s.restarts,
    }));
  }

  /** The current incarnation of child `id` (changes on restart), or undefined. */
  child<C extends Supervisable = Supervisable>(id: string): C | undefined {
    return this.#slots.find((s) => s.spec.id === id)?.child as C | undefined;
  }

  stop(): Promise<void> {
    if (this.#stopping === undefined) {
      this.#running = false;
      this.#stopping = this.#shutdown().then(() => this.#exit({ reason: 'stopped' }));
    }
    return this.#stopping;
  }

  #watch(slot: Slot, child: Supervisable): void {
    slot.child = child;
    void child.exited.then((exit) => this.#onExit(slot, child, exit));
  }

  async #onExit(slot: Slot, child: Supervisable, exit: ExitReason): Promise<void> {
    if (!this.#running || slot.child !== child) return;
    const kind = slot.spec.restart ?? 'permanent';
    const id = slot.spec.id;
    if (kind === 'temporary' || (kind === 'transient' && exit.reason !== 'crashed')) {
      slot.child = undefined;
      this.#o.onEvent?.({ type: 'exit', id, exit });
      return;
    }
    const now = performance.now();
    this.#restarts = this.#restarts.filter((t) => now - t < this.#o.periodMs);
    this.#restarts.push(now);
    if (this.#restarts.length > this.#o.intensity) return this.#giveUp(id, exit);
    slot.restarting = true;
    try {
      const next = await slot.spec.start();
      slot.restarting = false;
      slot.restarts++;
      if (!this.#running) {
        // Shutdown began while this child restarted and has already passed its slot.
        await next.stop();
        return;
      }
      this.#watch(slot, next);
      this.#o.onEvent?.({ type: 'restart', id, exit });
    } catch (error) {
      slot.restarting = false;
      await this.#giveUp(id, { reason: 'crashed', error });
    }
  }

  async #giveUp(id: string, exit: ExitReason): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#o.onEvent?.({ type: 'gave-up', id, exit });
    this.#stopping = this.#shutdown();
    await this.#stopping;
    const cause = exit.reason === 'crashed' ? exit.error : undefined;
    this.#exit({
      reason: 'crashed',
      error: new SupervisorGaveUpError(
        `more than ${this.#o.intensity} restarts in ${this.#o.periodMs} ms (last: ${id})`,
        { cause },
      ),
    });
  }

  /** Stop children in reverse start order, each within its deadline. */
  async #shutdown(): Promise<void> {
    for (const slot of [...this.#slots].reverse()) {
      const child = slot.child;
      if (child === undefined) continue;
      const ms = slot.spec.shutdownMs ?? SUPERVISOR_DEFAULTS.shutdownMs;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((r) => (timer = setTimeout(r, ms, 'timeout')));
      const result = await Promise.race([child.stop().then(() => 'ok' as const), deadline]).catch(
        () => 'ok' as const, // a stop that rejects has stopped as far as we are concerned
      );
      clearTimeout(timer);
      if (result === 'timeout') {
        const error = new ShutdownTimeoutError(`${slot.spec.id} did not stop within ${ms} ms`);
        this.#o.onEvent?.({ type: 'shutdown-timeout', id: slot.spec.id, error });
        await child.kill?.().catch(() => {});
      }
    }
  }
}

/** Start a one-for-one supervisor over `options.children` (started in order). */
export function startSupervisor(options: SupervisorOptions): Promise<Supervisor> {
  return Supervisor.start(options);
}
