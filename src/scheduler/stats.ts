/**
 * Per-runner counters in a SharedArrayBuffer, readable from every thread of the process.
 *
 * Why shared memory: the runners live on the main thread, the REST service on the HTTP threads.
 * The main thread writes counters with `Atomics.add`/`store`; readers take `Atomics.load`
 * snapshots — no message per update, and a reader never blocks the runners.
 *
 * How a thread finds the board without extra wiring: the scheduler answers `hello` on a
 * BroadcastChannel named after its storage (the data dir or the MongoDB URI), replying with the
 * buffer itself (a SharedArrayBuffer is shared, not copied, within the process). See
 * `stats-client.ts`.
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

export class StatsBoard {
  readonly buffer: SharedArrayBuffer;
  readonly names: readonly string[];
  #cells: BigInt64Array;

  /** Create a board for these runners, or attach to an existing buffer from another thread. */
  constructor(names: readonly string[], buffer?: SharedArrayBuffer) {
    this.names = Object.freeze([...names]);
    this.buffer = buffer ?? new SharedArrayBuffer(names.length * WIDTH * 8);
    if (this.buffer.byteLength !== names.length * WIDTH * 8) {
      throw new RangeError('stats buffer does not match the runner names');
    }
    this.#cells = new BigInt64Array(this.buffer);
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

/** The BroadcastChannel name both sides derive from the configuration. */
export function statsChannelName(cfg: { dataDir: string; mongodbUri: string | undefined }): string {
  return `video-server/scheduler-stats/${cfg.mongodbUri ?? cfg.dataDir}`;
}
