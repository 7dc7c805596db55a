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

export interface AccessFields {
  reqId: string;
  method: string;
  status: number;
  bytes: number;
  seconds: number;
  user: string | undefined;
  aborted: boolean;
}

/** A writer of one route's access lines, or undefined when the access log is off or filtered. */
export function accessLogWriter(
  service: string,
  route: string,
  log: Logger,
): ((f: AccessFields) => void) | undefined {
  const sink = bufferedSink('info');
  if (sink === null) return undefined; // LOG_LEVEL above info
  const ms = (s: number) => Math.round(s * 1e5) / 100;
  if (sink === undefined) {
    return (f) =>
      log.info('request', {
        reqId: f.reqId,
        service,
        method: f.method,
        route,
        status: f.status,
        bytes: f.bytes,
        ms: ms(f.seconds),
        user: f.user ?? null,
        ...(f.aborted ? { aborted: true } : {}),
      });
  }
  const head = `{"level":30,"time":`;
  const mid = `,"pid":${process.pid},"thread":${threadId},"scope":"access","reqId":"`;
  const where = `,"service":${JSON.stringify(service)},"method":"`;
  const routeJson = `","route":${JSON.stringify(route)},"status":`;
  return (f) => {
    const user = f.user === undefined ? 'null' : JSON.stringify(f.user);
    sink.write(
      `${head}${Date.now()}${mid}${f.reqId}"${where}${f.method}${routeJson}${f.status},"bytes":${f.bytes},"ms":${ms(f.seconds)},"user":${user}${f.aborted ? ',"aborted":true' : ''},"msg":"request"}\n`,
    );
  };
}
