/**
 * The HTTP host's watchdog: declares a thread wedged when its heartbeat (common/health.ts: every
 * thread stamps its slot from a timer on its own event loop each HEARTBEAT_MS) has been silent for
 * `deadlineMs`. A thread that is busy but still yields to its event loop between pieces of work
 * keeps beating; only a loop blocked for the whole deadline goes silent.
 *
 * Why the process must end (the host's `onWedged` does that, not this file): a wedged thread
 * keeps its SO_REUSEPORT listener, so the kernel keeps handing it connections nobody answers, and
 * no other thread can close a uWS handle it owns; terminating it aborts the process (Node checks
 * its event loop has no open handles on the way out). Only the service manager's restart of the
 * whole process takes the listener back.
 *
 * Invariants:
 *   - Only threads the caller lists as watched are checked: a starting thread's slot still holds
 *     its predecessor's last beat, so the host lists only threads that reported 'ready'.
 *   - A check that itself runs late (the main thread or the whole process was not scheduled for
 *     longer than half a deadline) declares nothing: the threads may have been starved alike,
 *     and the next check, on time, sees their fresh beats. Under load this keeps healthy threads
 *     from being declared wedged; a truly wedged one stays silent and is caught one check later.
 *   - `onWedged` runs at most once per watchdog; the watchdog stops itself after it.
 */
import type { Logger } from '../log.js';
import { ThreadWedgedError } from './common/errors.js';
import { HEARTBEAT_MS, type Heartbeats } from './common/health.js';

export interface WatchdogOptions {
  /** Silence after which a thread is wedged; 0 = no watchdog (config `HTTP_WATCHDOG_MS`). */
  deadlineMs: number;
  /** How often beats are checked. @default WATCHDOG_DEFAULTS.checkEveryMs (capped at deadline/4) */
  checkEveryMs?: number;
}

export const WATCHDOG_DEFAULTS = Object.freeze({ checkEveryMs: 1000 });

export interface Watched {
  readonly index: number;
  /** Set here when the thread is declared wedged. */
  wedged: boolean;
}

function validate(o: WatchdogOptions): Required<WatchdogOptions> {
  if (!Number.isFinite(o?.deadlineMs) || o.deadlineMs < 0)
    throw new TypeError('options.deadlineMs must be a non-negative number');
  if (o.deadlineMs !== 0 && o.deadlineMs < 2 * HEARTBEAT_MS)
    throw new TypeError(`options.deadlineMs must be 0 or at least ${2 * HEARTBEAT_MS}`);
  const every = o.checkEveryMs ?? WATCHDOG_DEFAULTS.checkEveryMs;
  if (!(every > 0)) throw new TypeError('options.checkEveryMs must be a positive number');
  return { deadlineMs: o.deadlineMs, checkEveryMs: Math.min(every, o.deadlineMs / 4) };
}

/**
 * Checks the beats of `watched()` threads (thread i beats in slot i + 1) every `checkEveryMs`;
 * the first thread silent past the deadline is marked wedged, logged (its index and how long it
 * was silent) and passed to `onWedged` as a ThreadWedgedError, once. Returns the stop function.
 */
export function startWatchdog(
  heartbeats: Heartbeats,
  watched: () => Iterable<Watched>,
  options: WatchdogOptions,
  log: Logger,
  onWedged: (err: ThreadWedgedError) => void,
): () => void {
  const o = validate(options);
  if (o.deadlineMs === 0) return () => {};
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - last > o.checkEveryMs + o.deadlineMs / 2;
    last = now;
    if (late) return;
    for (const t of watched()) {
      const silent = heartbeats.silentMs(t.index + 1, now);
      if (silent > o.deadlineMs) {
        clearInterval(timer);
        t.wedged = true;
        const silentMs = Math.round(silent);
        log.error('HTTP thread wedged: the process must end', {
          httpThread: t.index,
          silentMs,
          deadlineMs: o.deadlineMs,
        });
        onWedged(new ThreadWedgedError(t.index, silentMs));
        return;
      }
    }
  }, o.checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}
