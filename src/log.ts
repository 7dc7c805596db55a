/**
 * Structured logs on pino: one JSON object per line on stdout, in every thread.
 *
 * Invariants:
 * - Each thread owns one pino root writing to fd 1 through a synchronous destination, and every
 *   line reaches the fd in a single write(2). Threads never share a buffer, so lines from different
 *   threads never interleave mid-line (pipes keep writes up to PIPE_BUF = 4 KiB atomic; a longer
 *   line may only be split by the reader, never merged).
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
import { createRequire } from 'node:module';
import { threadId } from 'node:worker_threads';
import pino from 'pino';

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

/** Runs `fn` with `scope` as the current request: every log line it causes carries `reqId`. */
export function withRequest<T>(scope: RequestScope, fn: () => T): T {
  return requests.run(scope, fn);
}

/** The request being handled, if any (e.g. to forward its id to another service). */
export function currentRequest(): RequestScope | undefined {
  return requests.getStore();
}

function mixin(): Record<string, unknown> {
  const r = requests.getStore();
  return r ? { reqId: r.reqId } : {};
}

let root: pino.Logger | undefined;

function prettyStream(): pino.DestinationStream | undefined {
  try {
    const pretty = createRequire(import.meta.url)('pino-pretty') as (
      o: Record<string, unknown>,
    ) => pino.DestinationStream;
    return pretty({ destination: 1, sync: true, colorize: process.stdout.isTTY === true });
  } catch {
    return undefined;
  }
}

function rootLogger(): pino.Logger {
  if (root) return root;
  const level = parseLogLevel(process.env.LOG_LEVEL) ?? 'info';
  const wantPretty = parseLogFormat(process.env.LOG_FORMAT) === 'pretty';
  const pretty = wantPretty ? prettyStream() : undefined;
  const dest = pretty ?? pino.destination({ dest: 1, sync: true });
  root = pino(
    {
      level,
      base: { pid: process.pid, thread: threadId },
      mixin,
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    dest,
  );
  if (wantPretty && !pretty)
    root.warn({ scope: 'log' }, 'LOG_FORMAT=pretty needs pino-pretty; logging JSON');
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

function wrap(p: pino.Logger, scope: string, bound: Record<string, unknown>): Logger {
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
    child: (s) => make(`${scope}.${s}`, bound, p.level as LogLevel),
    bind: (fields) => make(scope, { ...bound, ...fields }, p.level as LogLevel),
  };
}

function make(scope: string, bound: Record<string, unknown>, level?: LogLevel): Logger {
  const r = rootLogger();
  const p = r.child({ scope, ...withErrors(bound) });
  if (level && level !== r.level) p.level = level;
  return wrap(p, scope, bound);
}

/**
 * A logger for `scope` in this thread. `min` overrides `LOG_LEVEL` for this logger and its
 * children (a level name, or the old numeric thresholds 10/20/30/40/100).
 */
export function createLogger(scope: string, min?: LogLevel | number): Logger {
  const level = typeof min === 'number' ? NUMERIC[min] : min;
  if (typeof min === 'number' && !level) throw new RangeError(`createLogger: unknown level ${min}`);
  return make(scope, {}, level);
}
