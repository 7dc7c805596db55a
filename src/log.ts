/**
 * Structured logs on pino: one JSON object per line on stdout (or pino-pretty's text for people at
 * a terminal), in every thread.
 *
 * Invariants:
 * - Each thread owns one pino root writing to fd 1 through a synchronous destination, and every
 *   line reaches the fd in a single write(2) unless a full pipe takes only part of it. Threads
 *   never share a buffer, and every write holds the fd's process-wide lock (log-lock.ts), so lines
 *   from different threads never interleave mid-line, whatever their length.
 * - Both destinations (this one and the access log's batches) write through log-write.ts: a broken
 *   or stalled stdout has lines dropped and counted; a write never throws, and waits for a full
 *   pipe at most LOG_STALL_MS with nothing taken, and 4 × that in all, before it gives up.
 * - `pretty` output takes the same path (log-pretty.ts): pino-pretty only formats, and the text
 *   is written by log-write.ts, one record per write, under the fd's lock.
 * - Levels come from `LOG_LEVEL` (debug | info | warn | error | silent, default info) and the
 *   format from `LOG_FORMAT` (json | pretty). Both are read from the environment, which worker
 *   threads inherit, so every thread agrees. `pretty` needs the optional `pino-pretty`; without it
 *   the output stays JSON and one warning says why.
 * - `scope` and bound fields are pino bindings: serialized once per logger, not per line. Error
 *   values anywhere in the fields are serialized with pino's error serializer.
 * - Inside `withRequest(scope, fn)` every line any logger writes carries `reqId` (AsyncLocalStorage
 *   follows the request through awaits), so call sites keep using their thread's logger.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isMainThread, threadId } from 'node:worker_threads';
import pino from 'pino';
import { LineBuffer } from './log-buffer.js';
import { prettyDestination } from './log-pretty.js';
import { LineWriter } from './log-write.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger for a sub-scope: `scope.sub`. */
  child(scope: string): Logger;
  /** The same scope with extra fields on every line (e.g. `{ reqId }`). */
  bind(fields: Record<string, unknown>): Logger;
}

/** The old numeric thresholds (`createLogger('t', 100)` = silent) still work. */
const NUMERIC: Readonly<Record<number, LogLevel>> = Object.freeze({
  10: 'debug',
  20: 'info',
  30: 'warn',
  40: 'error',
  100: 'silent',
});

export function parseLogLevel(raw: string | undefined): LogLevel | undefined {
  return (LOG_LEVELS as readonly string[]).includes(raw ?? '') ? (raw as LogLevel) : undefined;
}

export function parseLogFormat(raw: string | undefined): LogFormat | undefined {
  return (LOG_FORMATS as readonly string[]).includes(raw ?? '') ? (raw as LogFormat) : undefined;
}

/** What a request's log lines carry; `user` is filled in once the session is known. */
export interface RequestScope {
  readonly reqId: string;
  user?: string;
}

const requests = new AsyncLocalStorage<RequestScope>();

/**
 * Runs `fn(...args)` with `scope` as the current request: every log line it causes carries
 * `reqId` (when not ''). The HTTP guard's RequestRecord is such a scope (one per request).
 */
export function withRequest<A extends unknown[], T>(
  scope: RequestScope,
  fn: (...args: A) => T,
  ...args: A
): T {
  return requests.run(scope, fn, ...args);
}

/** The request being handled, if any (e.g. to forward its id to another service). */
export function currentRequest(): RequestScope | undefined {
  return requests.getStore();
}

function mixin(): Record<string, unknown> {
  const r = requests.getStore();
  return r?.reqId ? { reqId: r.reqId } : {};
}

/** Per thread: the synchronous root, and the buffered one (log-buffer.ts) for the access log. */
const roots: { sync?: pino.Logger; buffered?: pino.Logger } = {};

if (isMainThread) {
  // Opening them makes a pipe's fd non-blocking (libuv; the first Worker would do it anyway): a
  // full pipe then answers EAGAIN, which log-write.ts bounds, instead of blocking write(2) for good.
  // What is still written through them (console calls and Node's warnings are log lines in the
  // server's threads: log-capture.ts) is dropped once the reader is gone: without a listener, one
  // EPIPE is an uncaught 'error' that ends the process (test/ops/log-destination.test.ts).
  const drop = () => {};
  process.stdout.on('error', drop);
  process.stderr.on('error', drop);
}
let sharedBuffer: LineBuffer | undefined;

function rootLogger(buffered: boolean): pino.Logger {
  const kind = buffered ? 'buffered' : 'sync';
  const existing = roots[kind];
  if (existing) return existing;
  const level = parseLogLevel(process.env.LOG_LEVEL) ?? 'info';
  const wantPretty = parseLogFormat(process.env.LOG_FORMAT) === 'pretty';
  const pretty = wantPretty ? prettyDestination() : undefined;
  if (buffered && !pretty) sharedBuffer ??= new LineBuffer(1);
  // Pretty records are not batched: they are for people at a terminal, not a hot path.
  const dest = pretty ?? (buffered ? sharedBuffer! : new LineWriter(1));
  const root = pino(
    {
      level,
      base: { pid: process.pid, thread: threadId },
      mixin,
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    dest,
  );
  if (wantPretty && !pretty && !buffered)
    root.warn({ scope: 'log' }, 'LOG_FORMAT=pretty needs pino-pretty; logging JSON');
  roots[kind] = root;
  return root;
}

function withErrors(fields: Record<string, unknown>): Record<string, unknown> {
  for (const k in fields) {
    const v = fields[k];
    if (v instanceof Error && k !== 'err' && k !== 'error') {
      return Object.fromEntries(
        Object.entries(fields).map(([key, val]) => [
          key,
          val instanceof Error && key !== 'err' && key !== 'error'
            ? pino.stdSerializers.err(val)
            : val,
        ]),
      );
    }
  }
  return fields;
}

interface Origin {
  scope: string;
  bound: Record<string, unknown>;
  buffered: boolean;
}

function wrap(p: pino.Logger, o: Origin): Logger {
  const emit =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (msg: string, fields?: Record<string, unknown>) => {
      if (!p.isLevelEnabled(level)) return;
      if (fields) p[level](withErrors(fields), msg);
      else p[level](msg);
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (s) => make({ ...o, scope: `${o.scope}.${s}` }, p.level as LogLevel),
    bind: (fields) => make({ ...o, bound: { ...o.bound, ...fields } }, p.level as LogLevel),
  };
}

function make(o: Origin, level?: LogLevel): Logger {
  const r = rootLogger(o.buffered);
  const p = r.child({ scope: o.scope, ...withErrors(o.bound) });
  if (level && level !== r.level) p.level = level;
  return wrap(p, o);
}

/**
 * The thread's buffered line destination for hand-serialized high-volume lines at `level`:
 * null when `level` is below LOG_LEVEL (write nothing), undefined when lines must go through a
 * Logger instead (LOG_FORMAT=pretty).
 */
export function bufferedSink(level: Exclude<LogLevel, 'silent'>): LineBuffer | null | undefined {
  const root = rootLogger(true);
  if (!root.isLevelEnabled(level)) return null;
  return parseLogFormat(process.env.LOG_FORMAT) === 'pretty' ? undefined : sharedBuffer;
}

export interface LoggerOptions {
  /**
   * Batch lines (whole lines, ≤ 64 KiB per write, flushed every 100 ms and at exit; log-buffer.ts)
   * instead of one write per line. For high-volume lines such as the access log. @default false
   */
  buffered?: boolean;
}

/**
 * A logger for `scope` in this thread. `min` overrides `LOG_LEVEL` for this logger and its
 * children (a level name, or the old numeric thresholds 10/20/30/40/100).
 */
export function createLogger(
  scope: string,
  min?: LogLevel | number,
  options: LoggerOptions = {},
): Logger {
  const level = typeof min === 'number' ? NUMERIC[min] : min;
  if (typeof min === 'number' && !level) throw new RangeError(`createLogger: unknown level ${min}`);
  return make({ scope, bound: {}, buffered: options.buffered === true }, level);
}
