/**
 * Closing one HTTP thread (host-thread.ts) from its host: the 'close' command, then a bounded wait
 * for its exit. Threads are never terminate()d: a thread that holds uWS handles when it is torn
 * down aborts the whole process (`uv_loop_close() while having open handles`). A thread that does
 * not exit in time is abandoned instead (host-thread.ts `abandon`: unref'd, its events no longer
 * read) and left running; the process can then still exit (cli-run.ts ends it by SIGKILL).
 */
import type { Logger } from '../log.js';
import { HEARTBEAT_MS, type Heartbeats, STALE_MS } from './common/health.js';
import type { Thread } from './host-thread.js';

/** How much longer than its deadline a closing thread may take before it is unref'd and left. */
export const CLOSE_GRACE_MS = 2_000;

/** How much longer a late thread that keeps beating (its event loop runs: it is finishing its
 *  close, slowly) is waited for, at most, before it is abandoned. */
export const LATE_ALIVE_MS = 15_000;

/** What tells a late thread that is alive (it beats) from a stuck one, and where to say so. */
export interface LateCheck {
  heartbeats: Heartbeats;
  log: Logger;
  /** How long a late thread that keeps beating is waited for. @default LATE_ALIVE_MS */
  aliveMs?: number;
}

/**
 * Asks `t` to close (drain within `graceMs` + `deadlineMs`) and waits for its exit, at most
 * CLOSE_GRACE_MS longer. Late then, it is waited for while its heartbeat (slot index + 1 of
 * `late.heartbeats`) stays fresh, up to `late.aliveMs` more: on a loaded machine, or with a
 * database slow to close, a healthy thread may just be slow, and abandoning it would end the
 * process by SIGKILL (cli-run.ts). A thread that does not exit in time is abandoned; resolves
 * false then. A thread the watchdog found wedged is abandoned at once: it would not read the
 * command.
 *
 * The heartbeat is followed over the late wait (followBeats), not checked once when late: a
 * thread whose loop blocks meanwhile (its beats stop) is abandoned within about STALE_MS, not
 * after the whole bound; one still beating is waited for to the end of it.
 */
export async function closeThread(
  t: Thread,
  deadlineMs: number,
  graceMs = 0,
  late?: LateCheck,
): Promise<boolean> {
  t.closing = true;
  if (t.wedged) {
    t.abandon();
    return false;
  }
  try {
    t.control.trySend({ type: 'close', deadlineMs, graceMs });
  } catch {
    // SendOnClosedError: its port closed, so the thread is ending already; wait for its exit.
  }
  const armedAt = Date.now();
  const waitMs = graceMs + deadlineMs + CLOSE_GRACE_MS;
  if (await exitedWithin(t, waitMs)) return true;
  if (late && (await followBeats(t, late, armedAt, waitMs))) return true;
  t.abandon();
  return false;
}

async function exitedWithin(t: Thread, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, ms, 'late')));
  const result = await Promise.race([t.exited, timeout]);
  clearTimeout(timer);
  return result !== 'late';
}

/**
 * Waits for a late thread's exit while it beats, up to `late.aliveMs`; true if it exited. Checks
 * its beat now (the wait for its exit, armed at `armedAt` for `waitedMs`, just ended) and then
 * every HEARTBEAT_MS: silent for STALE_MS (its loop is blocked: it will not finish its close)
 * ends the wait at once. A check that itself ran late by more than STALE_MS / 2 — the first one
 * included: the host's own loop may have been stalled (a long GC, a starved process) right when
 * the thread became late — decides nothing, as in host-watchdog.ts: the thread may have been
 * starved alike, and the next check, on time, sees its fresh beat.
 */
async function followBeats(
  t: Thread,
  late: LateCheck,
  armedAt: number,
  waitedMs: number,
): Promise<boolean> {
  const slot = t.index + 1;
  const aliveMs = late.aliveMs ?? LATE_ALIVE_MS;
  const until = Date.now() + aliveMs;
  let said = false; // that it still beats
  let since = armedAt;
  let expected = waitedMs;
  for (;;) {
    const now = Date.now();
    if (now - since <= expected + STALE_MS / 2) {
      const silentMs = late.heartbeats.silentMs(slot, now);
      if (silentMs >= STALE_MS) {
        if (said) {
          late.log.warn('HTTP thread late to close stopped beating: abandoning it', {
            httpThread: t.index,
            silentMs: Math.round(silentMs),
          });
        }
        return false;
      }
      if (!said) {
        said = true;
        late.log.warn('HTTP thread late to close but still beating: waiting longer', {
          httpThread: t.index,
          moreMs: aliveMs,
        });
      }
    }
    const left = until - now;
    if (left <= 0) return false;
    since = now;
    expected = Math.min(HEARTBEAT_MS, left);
    if (await exitedWithin(t, expected)) return true;
  }
}
