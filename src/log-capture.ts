/**
 * What others would print as text becomes log lines: Node's process warnings (a deprecation, a
 * dependency's notice such as the AWS SDK's about Node versions) and `console` calls (lmdb-js
 * reports a failed commit with console.error), which a log reader expecting JSON cannot parse.
 * Each thread of the server calls `captureOutput()` once, from its entry: the command's start,
 * the HTTP thread, thread actors, pool tasks. Scripts that print for people (the benches, the
 * command's usage) keep Node's own output: importing the logger changes nothing.
 *
 * Invariants:
 * - Warnings: Node's printer is the only 'warning' listener when it is replaced (none means
 *   `--no-warnings` or `NODE_NO_WARNINGS=1`, and then warnings stay silent, as asked); each is one
 *   warn line (scope `node`, with its name and code).
 * - console: log/info → info, warn → warn, error → error, debug/trace → debug, formatted as
 *   console would (util.format), scope `console`. A second call changes nothing.
 * - Output written to fd 1 or 2 directly (native code's fprintf) cannot be captured.
 */
import { format } from 'node:util';
import { createLogger, type Logger } from './log.js';

let captured = false;

export function captureOutput(): void {
  if (captured) return;
  captured = true;
  const printers = process.listeners('warning');
  if (printers.length > 0) {
    for (const l of printers) process.removeListener('warning', l);
    let warnings: Logger | undefined;
    process.on('warning', (w: Error & { code?: string }) => {
      warnings ??= createLogger('node');
      warnings.warn(w.message, { name: w.name, ...(w.code ? { code: w.code } : {}) });
    });
  }
  let log: Logger | undefined;
  const to =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      log ??= createLogger('console');
      log[level](format(...args));
    };
  console.log = to('info');
  console.info = to('info');
  console.warn = to('warn');
  console.error = to('error');
  console.debug = to('debug');
  console.trace = to('debug');
}
