/**
 * The access log line: `{"level":30,"time":…,"pid":…,"thread":…,"scope":"access","service":…,
 * "method":…,"route":…,"status":…,"reqId":…,"bytes":…,"ms":…,"user":…,"msg":"request"}` —
 * the fields pino gives every other line, built by hand because it is written once per
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
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { bufferedSink, type Logger } from '../../log.js';
import type { LineBuffer } from '../../log-buffer.js';
import { bytesOf, put, putAscii, putMs, putUint } from '../../log-bytes.js';
import { methodLabel } from './request.js';
import { idHead, putIdTail } from './request-id.js';

/** What an access line reports of a request (a RequestRecord, request.ts). */
export interface AccessFields {
  readonly reqId: string;
  /** A generated id's number (request-id.ts), written from bytes made once; -1: `reqId` was given. */
  readonly reqNo: number;
  /** Lower case, as uWS reports it. */
  readonly method: string;
  readonly status: number;
  readonly bytes: number;
  readonly user: string | undefined;
  /** performance.now() when the request started (its end is `start` + the duration). */
  readonly start: number;
}

/** Milliseconds with two decimals, as a JSON number. */
function ms(seconds: number): number {
  return Math.round(seconds * 1e5) / 100;
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
    where: `"service":${JSON.stringify(service)},"method":"`,
    route: `","route":${JSON.stringify(route)},"status":`,
    middles: new Map(),
  };
  const lines = (pending ??= new Pending(sink));
  return (f, seconds, aborted) => lines.add(at, f, seconds, aborted);
}

/** A route's constant parts of the line, JSON-escaped once; encoded once per method. */
interface Place {
  where: string;
  route: string;
  /** where + method + route + status + `,"reqId":"`, as bytes, by method and status. */
  middles: Map<string, Uint8Array>;
}

/** Requests recorded before their lines are made (DRAIN_LINES at most, or DRAIN_MS). */
const DRAIN_LINES = 256;
const DRAIN_MS = 50;

/** This thread's recorded requests (one per thread: each thread has its own module instance). */
let pending: Pending | undefined;

const HEAD = bytesOf('{"level":30,"time":');
const MID = bytesOf(`,"pid":${process.pid},"thread":${threadId},"scope":"access",`);
const BYTES = bytesOf('","bytes":');
const MS = bytesOf(',"ms":');
const USER = bytesOf(',"user":');
const NULL = bytesOf('null');
const ABORTED = bytesOf(',"aborted":true');
const END = bytesOf(',"msg":"request"}\n');
/** The common ending: no user, not aborted. */
const ANONYMOUS_END = bytesOf(',"user":null,"msg":"request"}\n');
/** Every constant part but the prefix and middle, and room for the two numbers. */
const FIXED =
  BYTES.length + MS.length + USER.length + NULL.length + ABORTED.length + END.length + 2 * 24;

/**
 * The fields of finished requests, kept in flat arrays until DRAIN_LINES of them (or DRAIN_MS)
 * and then written as lines in one loop, byte by byte into the buffered destination: no string
 * is made per line (a template string per line measured ~0.5 µs of CPU with its UTF-8 encoding
 * and the garbage it leaves; bench/results/http-ops.md).
 */
class Pending {
  /** Each request's end on the performance.now() clock: one wall-clock read per batch. */
  readonly ends = new Float64Array(DRAIN_LINES);
  readonly secs = new Float64Array(DRAIN_LINES);
  readonly bytes = new Float64Array(DRAIN_LINES);
  /** 499 exactly for an aborted request (as the metrics count it): the line then says so. */
  readonly status = new Uint16Array(DRAIN_LINES);
  readonly reqIds: string[] = new Array(DRAIN_LINES).fill('');
  readonly reqNos = new Float64Array(DRAIN_LINES);
  readonly methods: string[] = new Array(DRAIN_LINES).fill('');
  readonly users: (string | undefined)[] = new Array(DRAIN_LINES).fill(undefined);
  readonly places: (Place | undefined)[] = new Array(DRAIN_LINES).fill(undefined);
  n = 0;
  /**
   * HEAD, the time, MID, the route's middle and a generated id's head: what lines share in a
   * flood of one kind of request within one millisecond (and 4096 generated ids).
   */
  prefix = new Uint8Array(512);

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
    this.ends[i] = f.start + seconds * 1000;
    this.secs[i] = seconds;
    this.bytes[i] = f.bytes;
    this.status[i] = aborted ? 499 : f.status;
    this.reqIds[i] = f.reqNo < 0 ? f.reqId : ''; // a generated id is written from its number
    this.reqNos[i] = f.reqNo;
    this.methods[i] = f.method;
    this.users[i] = f.user;
    this.places[i] = at;
    if (++this.n === DRAIN_LINES) this.drain();
  }

  drain(): void {
    const sink = this.sink;
    // Emptied before any line is written: a write that throws (a closed or broken stdout) loses
    // the rest of this batch, never the indices — `add` keeps filling from 0, not past the arrays.
    const n = this.n;
    this.n = 0;
    const clock = Date.now() - performance.now();
    let time = -1;
    let place: Place | undefined;
    let method = '';
    let code = 0;
    let middle: Uint8Array | undefined;
    let head: Uint8Array | undefined;
    let pre: Uint8Array = this.prefix.subarray(0, 0);
    for (let i = 0; i < n; i++) {
      const t = Math.round(clock + this.ends[i]!);
      const at = this.places[i]!;
      const m = this.methods[i]!;
      const status = this.status[i]!;
      const no = this.reqNos[i]!;
      const idHeadNow = no < 0 ? undefined : idHead(no);
      if (at !== place || m !== method || status !== code) {
        place = at;
        method = m;
        code = status;
        middle = middleOf(at, m, status);
        time = -1;
      }
      if (t !== time || idHeadNow !== head) {
        time = t;
        head = idHeadNow;
        pre = this.makePrefix(t, middle!, head);
      }
      const u = this.users[i];
      const user = u === undefined ? undefined : JSON.stringify(u);
      const reqId = this.reqIds[i]!;
      const need = pre.length + (no < 0 ? reqId.length : 3) + FIXED + (user ? user.length * 3 : 0);
      const long = need > sink.max ? Buffer.allocUnsafe(need) : undefined;
      const b = long ?? sink.bytes;
      let o = put(b, long ? 0 : sink.room(need), pre);
      o = put(b, no < 0 ? putAscii(b, o, reqId) : putIdTail(b, o, no), BYTES);
      o = putMs(b, put(b, putUint(b, o, this.bytes[i]!), MS), this.secs[i]!);
      if (user === undefined && status !== 499) o = put(b, o, ANONYMOUS_END);
      else {
        o = put(b, o, USER);
        o = user === undefined ? put(b, o, NULL) : o + b.write(user, o, 'utf8');
        if (status === 499) o = put(b, o, ABORTED);
        o = put(b, o, END);
      }
      if (long) sink.writeLong(long.subarray(0, o));
      else sink.used = o;
      this.reqIds[i] = '';
      this.users[i] = undefined;
    }
  }

  /** HEAD, `time`, MID, `middle` and the id's `head` (none for a given id) in `prefix`. */
  makePrefix(time: number, middle: Uint8Array, head: Uint8Array | undefined): Uint8Array {
    const size = HEAD.length + 24 + MID.length + middle.length + (head?.length ?? 0);
    if (size > this.prefix.length) this.prefix = new Uint8Array(size * 2);
    const p = this.prefix;
    let o = put(p, putUint(p, put(p, 0, HEAD), time), MID);
    o = put(p, o, middle);
    if (head) o = put(p, o, head);
    return p.subarray(0, o);
  }
}

/** The route's middle for `method` and `status`, made once. */
function middleOf(at: Place, method: string, status: number): Uint8Array {
  const key = `${method} ${status}`;
  let mid = at.middles.get(key);
  if (mid === undefined) {
    mid = bytesOf(`${at.where}${methodLabel(method)}${at.route}${status},"reqId":"`);
    at.middles.set(key, mid);
  }
  return mid;
}
