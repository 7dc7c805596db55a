/**
 * Ticker — the seed's `Worker` (renamed: it is the ticker that starts runner rounds, and the old
 * name collided with node:worker_threads' Worker), without its defects.
 *
 * Invariants:
 * - one loop per Ticker, blocked in `select` on the ticker and on `done(signal)`: between ticks
 *   it costs nothing;
 * - a tick never waits for a round: each runner gets `startAll()`, which starts a round only if
 *   none is in flight — otherwise the tick is coalesced (counted, dropped);
 * - the ticker itself drops ticks the loop has not taken (Go's ticker), so a stalled event loop
 *   never causes a burst of rounds;
 * - `stop()` aborts the signal: the loop exits, no new round or batch starts, and the rounds in
 *   flight finish their current batch; it resolves when they have (or at the deadline).
 */
import { done, recv, select, ticker } from '../channels/index.js';
import type { Logger } from '../log.js';
import type { RoundResult, Runner } from './runner.js';
import type { StatsBoard } from './stats.js';

export interface ScheduledRunner {
  // biome-ignore lint/suspicious/noExplicitAny: runners of different item types share a ticker
  readonly runner: Runner<any>;
  /** Start a round on every N-th tick (tick 0 included when runAtStart). */
  readonly everyTicks: number;
}

export interface TickerOptions {
  intervalMs: number;
  runners: readonly ScheduledRunner[];
  /** Counters, indexed like `runners`. */
  board: StatsBoard;
  log: Logger;
  /** Kick every runner once at start instead of waiting a whole interval. */
  runAtStart: boolean;
}

export class Ticker {
  readonly #opts: TickerOptions;
  readonly #ac = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(opts: TickerOptions) {
    this.#opts = opts;
  }

  /** Starts the ticker loop (idempotent). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Aborted by stop(): rounds in flight finish their batch and start no new one. */
  get signal(): AbortSignal {
    return this.#ac.signal;
  }

  async #run(): Promise<void> {
    const signal = this.#ac.signal;
    const t = ticker(this.#opts.intervalMs, { signal });
    const stopped = done(signal);
    let tick = 0;
    if (this.#opts.runAtStart) this.#kick(tick);
    for (;;) {
      const r = await select([recv(t), recv(stopped)]);
      if (r.index === 1) break;
      this.#kick(++tick);
    }
    t.stop();
  }

  #kick(tick: number): void {
    const { runners, board, log } = this.#opts;
    runners.forEach(({ runner, everyTicks }, i) => {
      if (tick % everyTicks !== 0 || this.#ac.signal.aborted) return;
      const round = runner.startAll(this.#ac.signal);
      if (round === undefined) {
        board.add(i, 'coalesced');
        log.debug('tick coalesced: round still in flight', { runner: runner.name });
        return;
      }
      board.add(i, 'rounds');
      board.set(i, 'inFlight', 1);
      round.then(
        (res) => this.#ended(i, runner.name, res),
        // startAll's round never rejects by design; if it does, it is a bug worth a loud line.
        (err) => this.#ended(i, runner.name, { reason: 'error', batches: 0, error: err }),
      );
    });
  }

  #ended(i: number, name: string, res: RoundResult): void {
    const { board, log } = this.#opts;
    board.set(i, 'inFlight', 0);
    board.set(i, 'lastRoundEnd', Date.now());
    if (res.reason === 'error') {
      board.add(i, 'roundErrors');
      log.error('round ended on an error', { runner: name, error: res.error });
    } else if (res.batches > 0) {
      // One line per round that did work; idle rounds stay silent.
      log.info('round ended', {
        runner: name,
        reason: res.reason,
        batches: res.batches,
        ...board.snapshot()[name],
      });
    }
  }

  /**
   * Stops ticking and waits for the rounds in flight to finish their current batch.
   * Resolves true when they did within `deadlineMs`, false otherwise. Idempotent.
   */
  async stop(deadlineMs: number): Promise<boolean> {
    this.#ac.abort();
    await this.#loop;
    const rounds = this.#opts.runners
      .map(({ runner }) => runner.current)
      .filter((p): p is Promise<RoundResult> => p !== undefined);
    if (rounds.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((res) => {
      timer = setTimeout(() => res(false), deadlineMs);
    });
    try {
      return await Promise.race([Promise.all(rounds).then(() => true as const), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
