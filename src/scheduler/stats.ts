/**
 * Per-runner counters and the actor supervision tree: kept by the scheduler on its own thread,
 * published to the HTTP threads that serve `/stats` over cross-thread channels.
 *
 * How it crosses: the composition root (server.ts) asks the board for one channel per HTTP thread
 * (`publishTo()`: a shared-memory CrossThreadChannel, codec 'bytes', capacity 1) and hands each
 * thread its channel at spawn. After a change the board publishes one fixed-size record (every
 * cell as a float64) to every channel, once per microtask however many counters moved. A channel
 * holds the latest record only: the board, the only sender, takes back an unread record before
 * sending the new one, with try-operations only — the scheduler never waits on a reader, and a
 * reader thread that died costs one slot, not a growing queue. A reader (`StatsReader`) drains
 * its channel when asked and keeps the last record it saw.
 *
 * Invariants: only the owning scheduler thread writes; a record is a consistent cut of all
 * counters at the end of a microtask; a reader sees records in publication order.
 */
import { CrossThreadChannel } from '../channels/index.js';

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

/** What `/stats` reads: the board itself (same thread) or a StatsReader (an HTTP thread). */
export interface StatsView {
  snapshot(): Record<string, RunnerCounters>;
  actors(): ActorRow[];
}

function cellCount(names: readonly string[], actorNames: readonly string[]): number {
  return names.length * WIDTH + actorNames.length * ACTOR_WIDTH;
}

function runnerSnapshot(names: readonly string[], cells: Float64Array) {
  const out: Record<string, RunnerCounters> = {};
  names.forEach((runnerName, r) => {
    const c = {} as RunnerCounters;
    for (const name of COUNTERS) c[name] = cells[r * WIDTH + INDEX[name]]!;
    out[runnerName] = c;
  });
  return out;
}

function actorRows(names: readonly string[], actorNames: readonly string[], cells: Float64Array) {
  return actorNames.map((id, i): ActorRow => {
    const at = names.length * WIDTH + i * ACTOR_WIDTH;
    const thread = cells[at]!;
    return {
      id,
      state: STATES[cells[at + 1]!] ?? 'exited',
      thread: thread < 0 ? undefined : thread,
      restarts: cells[at + 2]!,
    };
  });
}

export class StatsBoard implements StatsView {
  readonly names: readonly string[];
  readonly actorNames: readonly string[];
  #cells: Float64Array;
  #channels: CrossThreadChannel<Uint8Array>[] = [];
  #scheduled = false;

  constructor(names: readonly string[], actorNames: readonly string[] = []) {
    this.names = Object.freeze([...names]);
    this.actorNames = Object.freeze([...actorNames]);
    this.#cells = new Float64Array(cellCount(names, actorNames));
    for (let i = 0; i < this.actorNames.length; i++) {
      this.#cells[names.length * WIDTH + i * ACTOR_WIDTH] = -1;
    }
  }

  /**
   * A new channel that will carry this board's records to one reader thread (pass the returned
   * buffer to `new StatsReader(...)` there). It holds the current record at once.
   */
  publishTo(): SharedArrayBuffer {
    const ch = new CrossThreadChannel<Uint8Array>({
      capacity: 1,
      codec: 'bytes',
      slotBytes: this.#cells.byteLength,
    });
    this.#channels.push(ch);
    ch.trySend(new Uint8Array(this.#cells.buffer));
    return ch.shared;
  }

  #changed(): void {
    if (this.#scheduled || this.#channels.length === 0) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const record = new Uint8Array(this.#cells.buffer);
      for (const ch of this.#channels) {
        ch.tryRecv(); // the unread previous record, if any: the reader wants the latest only
        ch.trySend(record);
      }
    });
  }

  /** Records the supervision tree (rows for unknown ids are ignored). */
  setActors(rows: readonly ActorRow[]): void {
    for (const r of rows) {
      const i = this.actorNames.indexOf(r.id);
      if (i < 0) continue;
      const at = this.names.length * WIDTH + i * ACTOR_WIDTH;
      this.#cells[at] = r.thread ?? -1;
      this.#cells[at + 1] = STATES.indexOf(r.state);
      this.#cells[at + 2] = r.restarts;
    }
    this.#changed();
  }

  /** The supervision tree as last recorded. */
  actors(): ActorRow[] {
    return actorRows(this.names, this.actorNames, this.#cells);
  }

  #at(runner: number, name: CounterName): number {
    return runner * WIDTH + INDEX[name];
  }

  add(runner: number, name: CounterName, n = 1): void {
    if (n === 0) return;
    this.#cells[this.#at(runner, name)]! += n;
    this.#changed();
  }

  set(runner: number, name: CounterName, v: number): void {
    this.#cells[this.#at(runner, name)] = v;
    this.#changed();
  }

  get(runner: number, name: CounterName): number {
    return this.#cells[this.#at(runner, name)]!;
  }

  snapshot(): Record<string, RunnerCounters> {
    return runnerSnapshot(this.names, this.#cells);
  }
}

/** The reading end on another thread: the latest record received from the board's channel. */
export class StatsReader implements StatsView {
  readonly names: readonly string[];
  readonly actorNames: readonly string[];
  #channel: CrossThreadChannel<Uint8Array>;
  #cells: Float64Array;
  /** The next record is received straight into this spare (tryRecvRecords: no record copy or
   *  array per read), then swapped with the cells when a whole record arrived. */
  #incoming: Float64Array;
  readonly #length = new Uint32Array(1);

  /** `shared`: what `StatsBoard.publishTo()` returned; the same names as the board. */
  constructor(shared: SharedArrayBuffer, names: readonly string[], actorNames: readonly string[]) {
    this.names = Object.freeze([...names]);
    this.actorNames = Object.freeze([...actorNames]);
    this.#channel = CrossThreadChannel.from<Uint8Array>(shared);
    this.#cells = new Float64Array(cellCount(names, actorNames)).fill(0);
    this.#incoming = new Float64Array(this.#cells.length);
  }

  #latest(): Float64Array {
    // Every record waiting, oldest first (one per call: the buffer holds one); keep the last.
    for (;;) {
      const dst = new Uint8Array(this.#incoming.buffer);
      if (!this.#channel.tryRecvRecords(dst, this.#length)) break; // none now, or closed
      if (this.#length[0] !== dst.byteLength) {
        throw new RangeError('stats record does not match the runner and actor names');
      }
      [this.#cells, this.#incoming] = [this.#incoming, this.#cells];
    }
    return this.#cells;
  }

  snapshot(): Record<string, RunnerCounters> {
    return runnerSnapshot(this.names, this.#latest());
  }

  actors(): ActorRow[] {
    return actorRows(this.names, this.actorNames, this.#latest());
  }
}
