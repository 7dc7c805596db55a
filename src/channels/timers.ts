/**
 * Time as channels (Go's time.After, time.NewTicker, time.Sleep).
 *
 * Invariants:
 * - after(ms): one buffered slot, exactly one value (Date.now() at firing), never closed — as
 *   Go, so a select on it simply stops being ready after the value is taken.
 * - ticker(ms): one buffered slot; each tick is a trySend, so a slow receiver finds at most one
 *   pending tick and the rest are dropped (Go's ticker). stop() clears the interval and does not
 *   close the channel (a receiver blocked on it keeps waiting, as in Go).
 * - An aborted `signal` cancels the timer; the channel is left as it is.
 */
import { Channel } from './channel.js';
import { AbortError, InvalidArgumentError } from './errors.js';
import type { RecvChannel } from './types.js';

function checkMs(ms: number, name: string, positive: boolean): void {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || (positive && ms === 0)) {
    const what = positive ? 'a positive' : 'a non-negative';
    throw new InvalidArgumentError(`${name} must be ${what} finite number of milliseconds`);
  }
}

export interface TimerOptions {
  /** Cancels the timer when aborted. */
  signal?: AbortSignal;
}

/** A channel that receives Date.now() once, after `ms` milliseconds. */
export function after(ms: number, options?: TimerOptions): RecvChannel<number> {
  checkMs(ms, 'ms', false);
  const ch = new Channel<number>(1);
  const signal = options?.signal;
  if (signal?.aborted) return ch;
  const onAbort = () => clearTimeout(timer);
  const timer = setTimeout(() => {
    signal?.removeEventListener('abort', onAbort);
    ch.trySend(Date.now());
  }, ms);
  signal?.addEventListener('abort', onAbort, { once: true });
  return ch;
}

/** A ticker: receive from it; `stop()` ends the ticks without closing the channel. */
export interface Ticker extends RecvChannel<number> {
  /** Idempotent; a pending tick stays in the channel, as in Go. */
  stop(): void;
  /** Go's Ticker.Reset: stop, then tick every `ms` from now (not after its signal aborted). */
  reset(ms: number): void;
}

class TickerChannel extends Channel<number> implements Ticker {
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.stop();

  constructor(ms: number, signal: AbortSignal | undefined) {
    super(1);
    this.#signal = signal;
    this.#start(ms);
  }

  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    // A long-lived signal must not collect one listener per stopped ticker.
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  reset(ms: number): void {
    checkMs(ms, 'ms', true);
    this.stop();
    this.#start(ms);
  }

  /** Tick unless the signal has aborted (then the ticker stays stopped). */
  #start(ms: number): void {
    if (this.#signal?.aborted) return;
    this.#timer = setInterval(() => this.trySend(Date.now()), ms);
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }
}

/** Date.now() every `ms` milliseconds; ticks a slow receiver has not taken are dropped. */
export function ticker(ms: number, options?: TimerOptions): Ticker {
  checkMs(ms, 'ms', true);
  return new TickerChannel(ms, options?.signal);
}

/** Resolves after `ms`; rejects with AbortError (timer cleared) if `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    checkMs(ms, 'ms', false);
  } catch (err) {
    return Promise.reject(err);
  }
  if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError(signal!.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
