/**
 * The access log line: `{"level":30,"time":…,"pid":…,"thread":…,"scope":"access","reqId":…,
 * "service":…,"method":…,"route":…,"status":…,"bytes":…,"ms":…,"user":…,"msg":"request"}` —
 * exactly the shape pino gives every other line, built by hand because it is written once per
 * request: pino's generic serializer measured ~2.5× JSON.stringify and, with one line per 404,
 * most of the cost of observing a request (bench/results/http-ops.md). Lines go to the thread's
 * buffered destination (src/log-buffer.ts: whole lines, batched writes).
 *
 * Escaping: reqId is a validated safe token or a UUID, the method an HTTP token (neither can hold
 * `"` or `\`); service and route are escaped once per route; the user id through JSON.stringify.
 * With LOG_FORMAT=pretty (people at a terminal, not a hot path) the line goes through pino.
 */
import { threadId } from 'node:worker_threads';
import { bufferedSink, type Logger } from '../../log.js';
import { methodLabel } from './request.js';

/** What an access line reports of a request (a RequestRecord, request.ts). */
export interface AccessFields {
  readonly reqId: string;
  /** Lower case, as uWS reports it. */
  readonly method: string;
  readonly status: number;
  readonly bytes: number;
  readonly user: string | undefined;
}

/** Milliseconds with two decimals, as a JSON number. */
function ms(seconds: number): number {
  return Math.round(seconds * 1e5) / 100;
}

/**
 * The same number as text, from integers ("1.20" for 1.2: the same JSON number) — formatting a
 * fractional double measured ~80 ns of the ~220 ns a line took to build.
 */
function msText(seconds: number): string {
  const h = Math.round(seconds * 1e5);
  const f = h % 100;
  return `${(h - f) / 100}.${f < 10 ? '0' : ''}${f}`;
}

/** A writer of one route's access lines, or undefined when the access log is off or filtered. */
export function accessLogWriter(
  service: string,
  route: string,
  log: Logger,
): ((f: AccessFields, seconds: number, aborted: boolean) => void) | undefined {
  const sink = bufferedSink('info');
  if (sink === null) return undefined; // LOG_LEVEL above info
  if (sink === undefined) {
    return (f, seconds, aborted) =>
      log.info('request', {
        reqId: f.reqId,
        service,
        method: methodLabel(f.method),
        route,
        status: aborted ? 499 : f.status,
        bytes: f.bytes,
        ms: ms(seconds),
        user: f.user ?? null,
        ...(aborted ? { aborted: true } : {}),
      });
  }
  const head = `{"level":30,"time":`;
  const mid = `,"pid":${process.pid},"thread":${threadId},"scope":"access","reqId":"`;
  const where = `,"service":${JSON.stringify(service)},"method":"`;
  const routeJson = `","route":${JSON.stringify(route)},"status":`;
  return (f, seconds, aborted) => {
    const user = f.user === undefined ? 'null' : JSON.stringify(f.user);
    sink.write(
      `${head}${Date.now()}${mid}${f.reqId}"${where}${methodLabel(f.method)}${routeJson}${aborted ? 499 : f.status},"bytes":${f.bytes},"ms":${msText(seconds)},"user":${user}${aborted ? ',"aborted":true' : ''},"msg":"request"}\n`,
    );
  };
}
