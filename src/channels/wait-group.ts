/**
 * WaitGroup (Go's sync.WaitGroup): wait for a set of tasks to finish.
 *
 * Invariants: the counter is never negative (a done() past zero throws
 * ERR_NEGATIVE_WAITGROUP_COUNTER and leaves it at zero); every waiter resolves in the same turn
 * the counter reaches zero; wait() on a zero counter resolves at once.
 */
import { AbortError, InvalidArgumentError, NegativeWaitGroupCounterError } from './errors.js';

export class WaitGroup {
  #count = 0;
  #waiters: Array<() => void> = [];

  /** Tasks still running. */
  get count(): number {
    return this.#count;
  }

  add(delta = 1): void {
    if (!Number.isSafeInteger(delta)) throw new InvalidArgumentError('delta must be an integer');
    if (this.#count + delta < 0) throw new NegativeWaitGroupCounterError();
    this.#count += delta;
    if (this.#count === 0 && this.#waiters.length > 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
  }

  done(): void {
    this.add(-1);
  }

  /** Go 1.25's wg.Go: add(1), run `fn`, done() when it settles; returns fn's promise. */
  go<R>(fn: () => R | Promise<R>): Promise<R> {
    this.add(1);
    let p: Promise<R>;
    try {
      p = Promise.resolve(fn());
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.finally(() => this.done());
  }

  /** Resolves when the counter is zero; AbortError if `signal` aborts first. */
  wait(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal === undefined) {
        this.#waiters.push(resolve);
        return;
      }
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(wake);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new AbortError(signal.reason));
      };
      this.#waiters.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
