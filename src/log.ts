/**
 * A tiny leveled logger: one line per event on stderr, `LOG_LEVEL` = debug | info | warn | error | silent
 * (default info; tests run with warn unless told otherwise). Fields are appended as key=value.
 */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

function threshold(): number {
  const env = process.env.LOG_LEVEL as LogLevel | undefined;
  if (env && env in LEVELS) return LEVELS[env];
  return process.env.VITEST ? LEVELS.warn : LEVELS.info;
}

function format(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    const text = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
    out += ` ${k}=${/\s/.test(text ?? '') ? JSON.stringify(text) : text}`;
  }
  return out;
}

export function createLogger(scope: string, min = threshold()): Logger {
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    process.stderr.write(
      `${new Date().toISOString()} ${level.toUpperCase()} [${scope}] ${msg}${format(fields)}\n`,
    );
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (s) => createLogger(`${scope}.${s}`, min),
  };
}
