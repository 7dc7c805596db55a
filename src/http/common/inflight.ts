/**
 * Counting in-flight exchanges per uWS app, so a graceful close can stop listening, then wait for
 * running streams and uploads to finish within a deadline before closing the app.
 *
 * Invariant: `count` = begun − ended; each `begin()` returns an idempotent `end` function, so a
 * request that ends through several paths (finish, error, abort) is counted out once; `enter()`
 * is for callers that already leave exactly once.
 */
import type { TemplatedApp } from 'uWebSockets.js';

export class InflightTracker {
  #count = 0;
  #idle: Array<() => void> = [];

  get count(): number {
    return this.#count;
  }

  begin(): () => void {
    this.enter();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.leave();
    };
  }

  /**
   * One exchange in; pair it with exactly one `leave()` (e.g. an Exchange's onClose, which runs
   * once) — the allocation-free form of `begin()` for the per-request path.
   */
  enter(): void {
    this.#count++;
  }

  leave(): void {
    if (--this.#count === 0) {
      const waiters = this.#idle;
      this.#idle = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves true once nothing is in flight, or false when `deadlineMs` passes first. */
  whenIdle(deadlineMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idle = this.#idle.filter((w) => w !== done);
        resolve(false);
      }, deadlineMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#idle.push(done);
    });
  }
}

const trackers = new WeakMap<TemplatedApp, InflightTracker>();

/** The tracker of `app` (created on first use). */
export function inflightOf(app: TemplatedApp): InflightTracker {
  let t = trackers.get(app);
  if (!t) trackers.set(app, (t = new InflightTracker()));
  return t;
}
