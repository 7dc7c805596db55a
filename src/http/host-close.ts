/**
 * Closing one HTTP thread (host-thread.ts) from its host: the 'close' command, then a bounded wait
 * for its exit. Threads are never terminate()d: a thread that holds uWS handles when it is torn
 * down aborts the whole process (`uv_loop_close() while having open handles`). A thread that does
 * not exit in time is abandoned instead (host-thread.ts `abandon`: unref'd, its events no longer
 * read) and left running; the process can then still exit (cli-run.ts ends it by SIGKILL).
 */
import type { Logger } from '../log.js';
import { type Heartbeats, STALE_MS } from './common/health.js';
import type { Thread } from './host-thread.js';

/** How much longer than its deadline a closing thread may take before it is unref'd and left. */
export const CLOSE_GRACE_MS = 2_000;

/** How much longer a late thread that still beats (its event loop runs: it is finishing its
 *  close, slowly) is waited for before it is abandoned. */
export const LATE_ALIVE_MS = 15_000;

/** What tells a late thread that is alive (it beats) from a stuck one, and where to say so. */
export interface LateCheck {
  heartbeats: Heartbeats;
  log: Logger;
}

/**
 * Asks `t` to close (drain within `graceMs` + `deadlineMs`) and waits for its exit, at most
 * CLOSE_GRACE_MS longer — or, if its heartbeat (slot index + 1 of `late.heartbeats`) is fresh
 * then, up to LATE_ALIVE_MS more (on a loaded machine, or with a database slow to close, a
 * healthy thread may just be slow; abandoning it would end the process by SIGKILL, see
 * cli-run.ts). A thread that does not exit in time is abandoned; resolves false then. A thread
 * the watchdog found wedged is abandoned at once: it would not read the command.
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
  const exitedWithin = async (ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, ms, 'late')));
    const result = await Promise.race([t.exited, timeout]);
    clearTimeout(timer);
    return result !== 'late';
  };
  if (await exitedWithin(graceMs + deadlineMs + CLOSE_GRACE_MS)) return true;
  if (late && late.heartbeats.silentMs(t.index + 1) < STALE_MS) {
    late.log.warn('HTTP thread late to close but still beating: waiting longer', {
      thread: t.index,
      moreMs: LATE_ALIVE_MS,
    });
    if (await exitedWithin(LATE_ALIVE_MS)) return true;
  }
  t.abandon();
  return false;
}
