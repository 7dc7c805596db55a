/**
 * Runner — the seed's producer/consumer task runner (Controller, Error and Data channels, a
 * Dispatcher and an Executor, `longLived`), without its defects.
 *
 * A round: READY_TO_DISPATCH → the dispatcher fills Data with up to `size` items → READY_TO_EXECUTE
 * → the executor takes them all and returns only when every one has settled → READY_TO_DISPATCH
 * … until the dispatcher finds nothing ("all tasks finished"), an error, or an abort sends CLOSE
 * on Error.
 *
 * Invariants:
 * - at most one round in flight: `startAll()` while a round runs returns `undefined` and starts
 *   nothing (the seed started another loop on the same channels, so rounds stole each other's
 *   CLOSE and spun);
 * - the round loop blocks in `select` on Controller and Error with no default case: a runner
 *   with nothing to do costs no CPU (the seed's empty `default:` burned a core);
 * - every message taken from Controller is answered by exactly one message on Controller or
 *   Error, so exactly one of them is ever ready and their 1-slot buffers never overflow;
 * - between rounds Controller, Error and Data are empty (Data is drained even when an executor
 *   failed to take everything, and that counts as an error);
 * - a dispatcher or executor error ends the round (CLOSE) and is reported in the RoundResult;
 *   the runner stays usable for the next round when long-lived;
 * - not long-lived: the channels are closed after the first round, as in the seed.
 */
import { Channel, type RecvChannel, recv, type SendChannel, select } from '../channels/index.js';
import { RunnerClosedError, SchedulerOptionError } from './errors.js';

export const READY_TO_DISPATCH = 'd';
export const READY_TO_EXECUTE = 'e';
export const CLOSE = 'c';
export type ControlMessage = typeof READY_TO_DISPATCH | typeof READY_TO_EXECUTE;

export type RoundEnd = 'finished' | 'error' | 'aborted' | 'limit';
export interface ErrorMessage {
  readonly msg: typeof CLOSE;
  readonly reason: RoundEnd;
  readonly error?: unknown;
}

export interface RoundContext {
  /** Aborted when the owner closes: finish the batch in hand, start no new one. */
  readonly signal: AbortSignal;
  /** 0-based batch number within this round. */
  readonly batch: number;
  readonly runner: string;
}

/** Sends up to `data.capacity` items on `data`; returns how many (0 = all tasks finished). */
export type Dispatcher<T> = (data: SendChannel<T>, ctx: RoundContext) => Promise<number>;
/** Takes every item from `data` and resolves once all of them settled. A rejection ends the round. */
export type Executor<T> = (data: RecvChannel<T>, count: number, ctx: RoundContext) => Promise<void>;

export interface RunnerOptions<T> {
  name: string;
  /** Capacity of Data: the most items one dispatch hands over (seed: 3). */
  size: number;
  /** Keep the channels open for the next round (seed: true for the video cleaner). */
  longLived: boolean;
  dispatcher: Dispatcher<T>;
  executor: Executor<T>;
  /** End a round after this many batches even if work remains. @default Infinity */
  maxBatchesPerRound?: number;
}

export interface RoundResult {
  readonly reason: RoundEnd;
  readonly batches: number;
  readonly error?: unknown;
}

export class Runner<T> {
  readonly name: string;
  readonly longLived: boolean;
  readonly Controller = new Channel<ControlMessage>(1);
  readonly Error = new Channel<ErrorMessage>(1);
  readonly Data: Channel<T>;
  readonly #dispatcher: Dispatcher<T>;
  readonly #executor: Executor<T>;
  readonly #maxBatches: number;
  #round: Promise<RoundResult> | undefined;
  #closed = false;

  constructor(opts: RunnerOptions<T>) {
    if (!Number.isInteger(opts.size) || opts.size < 1) {
      throw new SchedulerOptionError(`options.size must be a positive integer, got ${opts.size}`);
    }
    this.name = opts.name;
    this.longLived = opts.longLived;
    this.Data = new Channel<T>(opts.size);
    this.#dispatcher = opts.dispatcher;
    this.#executor = opts.executor;
    this.#maxBatches = opts.maxBatchesPerRound ?? Number.POSITIVE_INFINITY;
  }

  /** True while a round is in flight. */
  get running(): boolean {
    return this.#round !== undefined;
  }

  /** The round in flight, if any (to wait for it). */
  get current(): Promise<RoundResult> | undefined {
    return this.#round;
  }

  /**
   * Starts a round unless one is in flight (then returns undefined: the caller's tick is
   * coalesced). Throws RunnerClosedError once a short-lived runner has had its round.
   */
  startAll(signal: AbortSignal = new AbortController().signal): Promise<RoundResult> | undefined {
    if (this.#closed) throw new RunnerClosedError(this.name);
    if (this.#round) return undefined;
    const round = this.#run(signal).finally(() => {
      this.#round = undefined;
      if (!this.longLived) this.#close();
    });
    this.#round = round;
    return round;
  }

  #close(): void {
    this.#closed = true;
    this.Controller.close();
    this.Data.close();
    this.Error.close();
  }

  async #run(signal: AbortSignal): Promise<RoundResult> {
    const ctl = this.Controller;
    const err = this.Error;
    let batch = 0;
    let count = 0;
    ctl.trySend(READY_TO_DISPATCH);
    for (;;) {
      const r = await select([recv(ctl), recv(err)]);
      if (r.index === 1) {
        const e = r.value as ErrorMessage;
        return { reason: e.reason, batches: batch, error: e.error };
      }
      const ctx: RoundContext = { signal, batch, runner: this.name };
      if (r.value === READY_TO_DISPATCH) {
        if (signal.aborted) {
          err.trySend({ msg: CLOSE, reason: 'aborted' });
          continue;
        }
        try {
          count = await this.#dispatcher(this.Data, ctx);
        } catch (error) {
          this.#drain();
          err.trySend({ msg: CLOSE, reason: 'error', error });
          continue;
        }
        if (count === 0) err.trySend({ msg: CLOSE, reason: 'finished' });
        else ctl.trySend(READY_TO_EXECUTE);
      } else {
        let failure: unknown;
        try {
          await this.#executor(this.Data, count, ctx);
        } catch (error) {
          failure = error;
        }
        const left = this.#drain();
        if (failure === undefined && left > 0) {
          failure = new Error(`executor of ${this.name} left ${left} item(s) in Data`);
        }
        batch++;
        if (failure !== undefined) err.trySend({ msg: CLOSE, reason: 'error', error: failure });
        else if (batch >= this.#maxBatches) err.trySend({ msg: CLOSE, reason: 'limit' });
        else ctl.trySend(READY_TO_DISPATCH);
      }
    }
  }

  /** Empties Data (restoring the between-rounds invariant); returns how many items were left. */
  #drain(): number {
    let n = 0;
    while (this.Data.tryRecv()?.ok) n++;
    return n;
  }
}
