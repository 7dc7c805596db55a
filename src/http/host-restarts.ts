/**
 * The HTTP host's replacement of ended threads (issue 10, item 1): a thread that ended by itself
 * is started again in its index's place, alone, while the others keep serving on the shared
 * port; a replacement that cannot start is retried with a backoff. More than `intensity`
 * restarts (ends and failed starts alike) within `periodMs` exhaust the budget: the host gives up
 * (host.ts closes its survivors, then emits 'crash') instead of restarting in a storm.
 *
 * Invariants:
 *   - Nothing starts once `stopped()` is true (the host is closing or gave up): a retry timer
 *     that fires then does nothing, and `stop()` clears the pending ones.
 *   - `onGiveUp` runs at most once per over-budget count: after it the host reports stopped.
 *   - Every restart counted is an end or a failed start, each once; successes are not counted.
 */
import type { Logger } from '../log.js';
import { ThreadCrashError } from './common/errors.js';

/** Backoff between tries to start a replacement thread: doubles from the first to the cap. */
export const REPLACE_BACKOFF_MS = 100;
export const REPLACE_BACKOFF_MAX_MS = 2_000;

export interface ThreadRestartsHooks {
  /** Starts a thread in `index`'s place; rejects if it could not start. */
  start(index: number): Promise<unknown>;
  /** True once the host closes or gave up: nothing more is started. */
  stopped(): boolean;
  /** A replacement started (after `failures` failed tries). */
  onReplaced(index: number, code: number, failures: number): void;
  /** The budget is exhausted: the host must give up. */
  onGiveUp(err: ThreadCrashError): void;
}

export class ThreadRestarts {
  readonly #budget: { intensity: number; periodMs: number };
  readonly #hooks: ThreadRestartsHooks;
  readonly #log: Logger;
  /** When each restart within the period happened (oldest first). */
  readonly #recent: number[] = [];
  readonly #retries = new Set<NodeJS.Timeout>();

  /** `budget` is validated by the caller (validateRestartBudget). */
  constructor(
    budget: { intensity: number; periodMs: number },
    hooks: ThreadRestartsHooks,
    log: Logger,
  ) {
    this.#budget = budget;
    this.#hooks = hooks;
    this.#log = log;
  }

  /**
   * Starts a thread in `index`'s place (its predecessor ended with `code`). A start that fails
   * (its stores cannot open: the database is down) is retried after a backoff and counts against
   * the budget like an end: a thread that can never start makes the host give up within the
   * period, while one waiting out a database outage (each try takes the store's connect timeout)
   * keeps trying without a restart storm and without taking the surviving threads down with it.
   */
  replace(index: number, code: number, failures = 0): void {
    if (this.#hooks.stopped()) return;
    if (this.#overBudget()) {
      const what = failures ? 'failed to start' : 'ended';
      const times = this.#recent.length;
      const message = `${what} ${times} times in ${this.#budget.periodMs} ms`;
      this.#hooks.onGiveUp(new ThreadCrashError(index, message));
      return;
    }
    this.#hooks.start(index).then(
      () => this.#hooks.onReplaced(index, code, failures),
      (err: Error) => {
        if (this.#hooks.stopped()) return;
        const retryInMs = Math.min(REPLACE_BACKOFF_MAX_MS, REPLACE_BACKOFF_MS * 2 ** failures);
        this.#log.error('HTTP thread replacement failed; retrying', {
          httpThread: index,
          err: err.message,
          retryInMs,
        });
        const timer = setTimeout(() => {
          this.#retries.delete(timer);
          this.replace(index, code, failures + 1);
        }, retryInMs);
        this.#retries.add(timer);
      },
    );
  }

  /** Cancels the retries waiting for their backoff. */
  stop(): void {
    for (const timer of this.#retries) clearTimeout(timer);
    this.#retries.clear();
  }

  /** Counts one restart (an end, or a replacement that failed to start); true = over budget. */
  #overBudget(): boolean {
    const now = Date.now();
    const recent = this.#recent;
    recent.push(now);
    while (recent[0]! <= now - this.#budget.periodMs) recent.shift();
    return recent.length > this.#budget.intensity;
  }
}
