/**
 * Per-runner counters and the actor supervision tree in a SharedArrayBuffer, readable from every
 * thread of the process.
 *
 * Why shared memory: the runners live on the main thread, the REST service on the HTTP threads.
 * The main thread writes with `Atomics.add`/`store`; readers take `Atomics.load` snapshots — no
 * message per update, and a reader never blocks the runners. How a thread gets the board: the
 * composition root (server.ts) creates it and hands the buffer to the scheduler and to every
 * HTTP thread at spawn, like the limiter's buffer (no discovery messages at all).
 *
 * Invariants: only the owning scheduler writes; every slot is a 64-bit integer; a snapshot is
 * per-counter atomic, not a consistent cut across counters (fine for metrics).
 */

export const COUNTERS = [
  /** rounds started */
  'rounds',
  /** ticks that found a round still in flight (dropped: at most one round per runner) */
  'coalesced',
  /** records claimed (video cleanup) or purge passes dispatched (session purge) */
  'claimed',
  /** records deleted / sessions purged */
  'done',
  /** failed attempts that will be retried */
  'failed',
  /** records dead-lettered after the last allowed attempt */
  'deadLettered',
  /** records whose lease another owner took before we finished (fenced: nothing written) */
  'lost',
  /** rounds that ended on an error (store down, …) */
  'roundErrors',
  /** 1 while a round is in flight */
  'inFlight',
  /** epoch ms of the last round's end */
  'lastRoundEnd',
] as const;

export type CounterName = (typeof COUNTERS)[number];
export type RunnerCounters = Record<CounterName, number>;

const WIDTH = COUNTERS.length;
const INDEX = Object.fromEntries(COUNTERS.map((c, i) => [c, i])) as Record<CounterName, number>;

/** One actor of the supervision tree as the board keeps it. */
export interface ActorRow {
  id: string;
  state: 'running' | 'restarting' | 'exited';
  thread: number | undefined;
  restarts: number;
}

const STATES = ['running', 'restarting', 'exited'] as const;
/** Per actor: thread id (-1 = none), state index, restart count. */
const ACTOR_WIDTH = 3;

export class StatsBoard {
  readonly buffer: SharedArrayBuffer;
  readonly names: readonly string[];
  readonly actorNames: readonly string[];
  #cells: BigInt64Array;

  /**
   * Create a board for these runners (and actors), or attach to an existing buffer from another
   * thread (same names).
   */
  constructor(
    names: readonly string[],
    buffer?: SharedArrayBuffer,
    actorNames: readonly string[] = [],
  ) {
    this.names = Object.freeze([...names]);
    this.actorNames = Object.freeze([...actorNames]);
    const bytes = (names.length * WIDTH + actorNames.length * ACTOR_WIDTH) * 8;
    this.buffer = buffer ?? new SharedArrayBuffer(bytes);
    if (this.buffer.byteLength !== bytes) {
      throw new RangeError('stats buffer does not match the runner and actor names');
    }
    this.#cells = new BigInt64Array(this.buffer);
  }

  /** Records the supervision tree (rows for unknown ids are ignored). */
  setActors(rows: readonly ActorRow[]): void {
    for (const r of rows) {
      const i = this.actorNames.indexOf(r.id);
      if (i < 0) continue;
      const at = this.names.length * WIDTH + i * ACTOR_WIDTH;
      Atomics.store(this.#cells, at, BigInt(r.thread ?? -1));
      Atomics.store(this.#cells, at + 1, BigInt(STATES.indexOf(r.state)));
      Atomics.store(this.#cells, at + 2, BigInt(r.restarts));
    }
  }

  /** The supervision tree as last recorded. */
  actors(): ActorRow[] {
    return this.actorNames.map((id, i) => {
      const at = this.names.length * WIDTH + i * ACTOR_WIDTH;
      const thread = Number(Atomics.load(this.#cells, at));
      return {
        id,
        state: STATES[Number(Atomics.load(this.#cells, at + 1))] ?? 'exited',
        thread: thread < 0 ? undefined : thread,
        restarts: Number(Atomics.load(this.#cells, at + 2)),
      };
    });
  }

  #at(runner: number, name: CounterName): number {
    return runner * WIDTH + INDEX[name];
  }

  add(runner: number, name: CounterName, n = 1): void {
    if (n !== 0) Atomics.add(this.#cells, this.#at(runner, name), BigInt(n));
  }

  set(runner: number, name: CounterName, v: number): void {
    Atomics.store(this.#cells, this.#at(runner, name), BigInt(v));
  }

  get(runner: number, name: CounterName): number {
    return Number(Atomics.load(this.#cells, this.#at(runner, name)));
  }

  snapshot(): Record<string, RunnerCounters> {
    const out: Record<string, RunnerCounters> = {};
    this.names.forEach((runnerName, r) => {
      const c = {} as RunnerCounters;
      for (const name of COUNTERS) c[name] = this.get(r, name);
      out[runnerName] = c;
    });
    return out;
  }
}
