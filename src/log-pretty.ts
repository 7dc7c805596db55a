/**
 * LOG_FORMAT=pretty's destination: pino-pretty formats, log-write.ts writes.
 *
 * Invariants:
 * - pino-pretty only formats: its `prettyFactory` (a public export: a synchronous function of
 *   one JSON line) turns each line pino serialized into text, and a LineWriter writes the record
 *   with `writeLines`, one record per write under the fd's lock. So a terminal or pager that
 *   stops reading costs a thread LOG_STALL_MS, not the process, records stay whole among other
 *   threads', and what was lost is counted and noticed (in pretty text too), as for JSON.
 *   (pino-pretty's own stream writes fd 1 itself through SonicBoom: outside the lock, retrying a
 *   full pipe without bound, counting nothing.)
 * - On a terminal Node keeps fd 1 blocking (tty.WriteStream), so a terminal that takes nothing
 *   (Ctrl-S) would hold write(2) past any bound of log-write.ts's. The main thread opens the
 *   terminal again, non-blocking (a file description of its own: fd 1's stays as Node set it),
 *   and hands the fd to every thread started after it, as environment data, so every thread
 *   writes pretty records to the same fd under the same lock. Elsewhere (not a terminal, no
 *   /proc, a thread started before the main thread loaded this) records go to fd 1.
 * - Colours when that fd is a terminal: asked of the fd, so worker threads (whose process.stdout
 *   is a pipe to the main thread) agree with the main thread.
 */
import { constants, openSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import { getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';
import { formatNotices, type LineFormat, LineWriter } from './log-write.js';

/** The fd pretty records go to (see the invariants). */
const prettyFd = ((key): number => {
  if (!isMainThread) return (getEnvironmentData(key) as number | undefined) ?? 1;
  if (process.env.LOG_FORMAT !== 'pretty' || !isatty(1)) return 1;
  try {
    const flags = constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
    const fd = openSync(readlinkSync('/proc/self/fd/1'), flags);
    setEnvironmentData(key, fd);
    return fd;
  } catch {
    return 1;
  }
})('video-server:log-terminal');

/** This thread's destination (undefined: pino-pretty is not installed), made once. */
let destination: LineWriter | undefined | null = null;

/** pino's destination for pretty records in this thread, or undefined without pino-pretty. */
export function prettyDestination(): LineWriter | undefined {
  if (destination !== null) return destination;
  try {
    const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as {
      prettyFactory: (o: Record<string, unknown>) => LineFormat;
    };
    const format = prettyFactory({ colorize: isatty(prettyFd) });
    formatNotices(format);
    destination = new LineWriter(prettyFd, format);
  } catch {
    destination = undefined;
  }
  return destination;
}
