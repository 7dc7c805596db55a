/**
 * The access log line: `{"level":30,"time":…,"pid":…,"thread":…,"scope":"access","reqId":…,
 * "service":…,"method":…,"route":…,"status":…,"bytes":…,"ms":…,"user":…,"msg":"request"}` —
 * exactly the shape pino gives every other line, built by hand because it is written once per
 * request: pino's generic serializer measured ~2.5× JSON.stringify and, with one line per 404,
 * most of the cost of observing a request (bench/results/http-ops.md). A request's fields are
 * recorded when it ends and its line is made with up to DRAIN_LINES others, at most DRAIN_MS
 * later (`Pending`); lines go to the thread's buffered destination (src/log-buffer.ts: whole
 * lines, batched writes). At thread or process exit both are drained; a SIGKILL loses at most
 * DRAIN_MS + FLUSH_MS of access lines.
 *
 * Escaping: reqId is a validated safe token or a UUID, the method an HTTP token (neither can hold
 * `"` or `\`); service and route are escaped once per route; the user id through JSON.stringify.
 * With LOG_FORMAT=pretty (people at a terminal, not a hot path) the line goes through pino.
 */
import { threadId } from 'node:worker_threads';
import { bufferedSink, type Logger } from '../../log.js';
import type { LineBuffer } from '../../log-buffer.js';
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
  const at: Place = {
    where: `,"service":${JSON.stringify(service)},"method":"`,
    route: `","route":${JSON.stringify(route)},"status":`,
  };
  const lines = (pending ??= new Pending(sink));
  return (f, seconds, aborted) => lines.add(at, f, seconds, aborted);
}

/** A route's constant parts of the line, JSON-escaped once. */
interface Place {
  where: string;
  route: string;
}

/** Requests recorded before their lines are made (DRAIN_LINES at most, or DRAIN_MS). */
const DRAIN_LINES = 256;
const DRAIN_MS = 50;

/** This thread's recorded requests (one per thread: each thread has its own module instance). */
let pending: Pending | undefined;

/**
 * The fields of finished requests, kept in flat arrays until DRAIN_LINES of them (or DRAIN_MS)
 * and then made into lines in one loop. Building each line when its request ended measured
 * ~0.35 µs on the serving thread plus ~0.37 µs of flush per line; recording the fields costs
 * ~0.14 µs and a batch of lines is built while its code and data stay in the cache.
 */
class Pending {
  readonly times = new Float64Array(DRAIN_LINES);
  readonly secs = new Float64Array(DRAIN_LINES);
  readonly bytes = new Float64Array(DRAIN_LINES);
  /** 499 exactly for an aborted request (as the metrics count it): the line then says so. */
  readonly status = new Uint16Array(DRAIN_LINES);
  readonly reqIds: string[] = new Array(DRAIN_LINES).fill('');
  readonly methods: string[] = new Array(DRAIN_LINES).fill('');
  readonly users: (string | undefined)[] = new Array(DRAIN_LINES).fill(undefined);
  readonly places: (Place | undefined)[] = new Array(DRAIN_LINES).fill(undefined);
  n = 0;
  readonly head = '{"level":30,"time":';
  readonly mid = `,"pid":${process.pid},"thread":${threadId},"scope":"access","reqId":"`;

  constructor(readonly sink: LineBuffer) {
    setInterval(() => this.drain(), DRAIN_MS).unref();
    // Registered after the buffer's own exit flush: drain, then flush what the drain wrote.
    process.on('exit', () => {
      this.drain();
      sink.flush();
    });
  }

  add(at: Place, f: AccessFields, seconds: number, aborted: boolean): void {
    const i = this.n;
    this.times[i] = Date.now();
    this.secs[i] = seconds;
    this.bytes[i] = f.bytes;
    this.status[i] = aborted ? 499 : f.status;
    this.reqIds[i] = f.reqId;
    this.methods[i] = f.method;
    this.users[i] = f.user;
    this.places[i] = at;
    if (++this.n === DRAIN_LINES) this.drain();
  }

  drain(): void {
    const { head, mid, sink } = this;
    // Emptied before any line is written: a write that throws (a closed or broken stdout) loses
    // the rest of this batch, never the indices — `add` keeps filling from 0, not past the arrays.
    const n = this.n;
    this.n = 0;
    // A flood of one route is common, and a millisecond holds many requests: the prefix up to the
    // request id and the part between it and the status change rarely from one line to the next.
    let time = -1;
    let prefix = '';
    let place: Place | undefined;
    let method = '';
    let middle = '';
    for (let i = 0; i < n; i++) {
      const t = this.times[i]!;
      if (t !== time) {
        time = t;
        prefix = `${head}${t}${mid}`;
      }
      const at = this.places[i]!;
      const m = this.methods[i]!;
      if (at !== place || m !== method) {
        place = at;
        method = m;
        middle = `"${at.where}${methodLabel(m)}${at.route}`;
      }
      const u = this.users[i];
      const user = u === undefined ? 'null' : JSON.stringify(u);
      const status = this.status[i]!;
      sink.write(
        `${prefix}${this.reqIds[i]}${middle}${status},"bytes":${this.bytes[i]},"ms":${msText(this.secs[i]!)},"user":${user}${status === 499 ? ',"aborted":true' : ''},"msg":"request"}\n`,
      );
      this.reqIds[i] = '';
      this.users[i] = undefined;
    }
  }
}
