/**
 * The access log line: `{"level":30,"time":…,"pid":…,"thread":…,"scope":"access","service":…,
 * "method":…,"route":…,"status":…,"reqId":…,"bytes":…,"ms":…,"user":…,"msg":"request"}` —
 * the fields pino gives every other line, built by hand because it is written once per
 * request: pino's generic serializer measured ~2.5× JSON.stringify and, with one line per 404,
 * most of the cost of observing a request (bench/results/http-ops.md). Lines of one kind (route,
 * method, status) share all but a few bytes, so each line is its kind's previous line patched in
 * place and copied (`Shape`). Lines go to the thread's buffered destination (src/log-buffer.ts:
 * whole lines, batched writes, flushed at exit); a SIGKILL loses at most FLUSH_MS of them.
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
import {
  bytesOf,
  centisLength,
  put,
  putAscii,
  putCentis,
  putUint,
  uintLength,
} from '../../log-bytes.js';
import { methodLabel } from './request.js';
import { GENERATED_ID_LENGTH, idHead, putIdTail } from './request-id.js';

/** What an access line reports of a request (a RequestRecord, request.ts). */
export interface AccessFields {
  readonly reqId: string;
  /** A generated id's number (request-id.ts), written from bytes made once; -1: `reqId` was given. */
  readonly reqNo: number;
  /** Lower case, as uWS reports it. */
  readonly method: string;
  /** 499 exactly when the client went away first (as the metrics count it): the line says so. */
  readonly status: number;
  readonly bytes: number;
  readonly user: string | undefined;
  /** performance.now() when the request started and when its response ended. */
  readonly start: number;
  readonly end: number;
}

/** A writer of one route's access lines, or undefined when the access log is off or filtered. */
export function accessLogWriter(
  service: string,
  route: string,
  log: Logger,
): ((f: AccessFields) => void) | undefined {
  const sink = bufferedSink('info');
  if (sink === null) return undefined; // LOG_LEVEL above info
  if (sink === undefined) {
    return (f) =>
      log.info('request', {
        reqId: f.reqId,
        service,
        method: methodLabel(f.method),
        route,
        status: f.status,
        bytes: f.bytes,
        ms: Math.round((f.end - f.start) * 100) / 100,
        user: f.user ?? null,
        ...(f.status === ABORTED_STATUS ? { aborted: true } : {}),
      });
  }
  const at: Place = {
    where: `"service":${JSON.stringify(service)},"method":"`,
    route: `","route":${JSON.stringify(route)},"status":`,
    shapes: new Map(),
    last: undefined,
  };
  const out = (lines ??= new Lines(sink));
  return (f) => out.write(at, f);
}

const ABORTED_STATUS = 499;

/** A route's constant parts of the line, JSON-escaped once, and its lines' shapes. */
interface Place {
  where: string;
  route: string;
  /** By method and status. */
  shapes: Map<string, Shape>;
  /** The shape of this route's last line: a flood of one kind finds it without a lookup. */
  last: Shape | undefined;
}

/** How long one reading of the wall clock's offset from performance.now() is used. */
const WALL_MS = 50;

/** Reads of the offset taken at most; the narrowest bracket wins. */
const OFFSET_READS = 3;
/** A bracket this narrow (ms) is as good as Date.now()'s whole milliseconds allow: stop there. */
const TIGHT_MS = 0.05;

/**
 * Date.now() − performance.now(), from the narrowest of up to OFFSET_READS bracketed reads
 * (performance.now() before and after Date.now(); the wall read is placed at the bracket's middle).
 * One read of the two clocks back to back is wrong by any pause between them (the thread
 * preempted, a GC step): every line timed with that offset for the next WALL_MS would be early by
 * the pause's length. A paused read has a wide bracket, so it loses to a tight one.
 */
export function wallOffset(
  wall: () => number = Date.now,
  mono: () => number = () => performance.now(),
): number {
  let width = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < OFFSET_READS && width > TIGHT_MS; i++) {
    const before = mono();
    const w = wall();
    const after = mono();
    if (after - before < width) {
      width = after - before;
      offset = w - (before + after) / 2;
    }
  }
  return offset;
}

/** This thread's line writer (one per thread: each thread has its own module instance). */
let lines: Lines | undefined;

const HEAD = bytesOf('{"level":30,"time":');
const MID = bytesOf(`,"pid":${process.pid},"thread":${threadId},"scope":"access",`);
const BYTES = bytesOf('","bytes":');
const MS = bytesOf(',"ms":');
const USER = bytesOf(',"user":');
const NULL = bytesOf('null');
const ABORTED = bytesOf(',"aborted":true');
const END = bytesOf(',"msg":"request"}\n');
/** The ending of a line with no user, not aborted; a line with either replaces it. */
const ANONYMOUS_END = bytesOf(',"user":null,"msg":"request"}\n');

/** Where the time's digits start; a time of 13 digits (the years 2001–2286) is patched there. */
const TIME_AT = HEAD.length;
const isTime13 = (t: number) => t >= 1e12 && t < 1e13;

/** The suffix after the id: `","bytes":B,"ms":M,"user":null,"msg":"request"}\n`. */
function suffixLength(bytes: number, centis: number): number {
  return BYTES.length + uintLength(bytes) + MS.length + centisLength(centis) + ANONYMOUS_END.length;
}

function putSuffix(b: Uint8Array, at: number, bytes: number, centis: number): number {
  const o = putCentis(b, put(b, putUint(b, put(b, at, BYTES), bytes), MS), centis);
  return put(b, o, ANONYMOUS_END);
}

/** Where a shape's line is made whole (a kind's first line, or a field that changed length). */
let scratch = new Uint8Array(1024);

/**
 * The last line of one kind (route, method, status) without a user: consecutive lines of a kind
 * differ in a few bytes (the time once per millisecond, the id, sometimes bytes or duration), so
 * each line patches those in place and is copied whole into the batch. A field whose length
 * changed remakes the line.
 */
class Shape {
  line: Uint8Array = new Uint8Array(0);
  /** What `line` says; -1: nothing yet (the first line remakes it). */
  time = -1;
  idLen = -1;
  /** The generated id's head in `line` (idHead's bytes, compared by identity), if any. */
  head: Uint8Array | undefined = undefined;
  bytes = -1;
  centis = -1;
  /** Offsets in `line`: the id, the suffix after it, the anonymous ending. */
  idAt = 0;
  tailAt = 0;
  endAt = 0;

  constructor(
    readonly method: string,
    readonly status: number,
    /** where + method + route + status + `,"reqId":"`. */
    readonly middle: Uint8Array,
  ) {}

  /** Patches `line` to a request's fields (see the class); returns it. */
  update(t: number, no: number, id: string, bytes: number, centis: number): Uint8Array {
    const idLen = no < 0 ? id.length : GENERATED_ID_LENGTH;
    const suffixChanged = bytes !== this.bytes || centis !== this.centis;
    if (
      idLen !== this.idLen ||
      !isTime13(t) ||
      !isTime13(this.time) ||
      (suffixChanged && suffixLength(bytes, centis) !== this.line.length - this.tailAt)
    ) {
      return this.remake(t, no, id, bytes, centis);
    }
    const line = this.line;
    if (t !== this.time) {
      putUint(line, TIME_AT, t);
      this.time = t;
    }
    if (no < 0) putAscii(line, this.idAt, id);
    else {
      const head = idHead(no);
      if (head !== this.head) {
        put(line, this.idAt, head);
        this.head = head;
      }
      putIdTail(line, this.idAt + head.length, no);
    }
    if (suffixChanged) {
      putSuffix(line, this.tailAt, bytes, centis);
      this.bytes = bytes;
      this.centis = centis;
    }
    return line;
  }

  remake(t: number, no: number, id: string, bytes: number, centis: number): Uint8Array {
    const need =
      HEAD.length +
      24 +
      MID.length +
      this.middle.length +
      GENERATED_ID_LENGTH +
      id.length +
      suffixLength(bytes, centis);
    if (need > scratch.length) scratch = new Uint8Array(need * 2);
    const b = scratch;
    let o = put(b, put(b, putUint(b, put(b, 0, HEAD), t), MID), this.middle);
    this.idAt = o;
    if (no < 0) {
      this.head = undefined;
      o = putAscii(b, o, id);
    } else {
      this.head = idHead(no);
      o = putIdTail(b, put(b, o, this.head), no);
    }
    this.tailAt = o;
    o = putSuffix(b, o, bytes, centis);
    this.endAt = o - ANONYMOUS_END.length;
    this.line = b.slice(0, o);
    this.time = t;
    this.idLen = no < 0 ? id.length : GENERATED_ID_LENGTH;
    this.bytes = bytes;
    this.centis = centis;
    return this.line;
  }
}

/** The shape of `method` + `status` lines on the route `at`, made once. */
function shapeOf(at: Place, method: string, status: number): Shape {
  const key = `${method} ${status}`;
  let s = at.shapes.get(key);
  if (s === undefined) {
    const middle = bytesOf(`${at.where}${methodLabel(method)}${at.route}${status},"reqId":"`);
    at.shapes.set(key, (s = new Shape(method, status, middle)));
  }
  return s;
}

/**
 * Writes lines into the thread's buffered destination as requests are observed (observe.ts: in
 * a batch at the end of the event loop's turn, while the records are still in cache), byte by
 * byte: no string is made per line (bench/results/http-ops.md).
 */
class Lines {
  /** Date.now() − performance.now(), read at most every WALL_MS (of request ends). */
  wall = 0;
  wallAt = Number.NEGATIVE_INFINITY;

  constructor(readonly sink: LineBuffer) {}

  /** One line: its shape patched and copied, then a user's or an abort's ending if any. */
  write(at: Place, f: AccessFields): void {
    const end = f.end;
    if (end - this.wallAt > WALL_MS || end < this.wallAt) {
      this.wall = wallOffset();
      this.wallAt = end;
    }
    const status = f.status;
    let s = at.last;
    if (s === undefined || s.method !== f.method || s.status !== status) {
      at.last = s = shapeOf(at, f.method, status);
    }
    const no = f.reqNo;
    const line = s.update(
      Math.round(this.wall + end),
      no,
      no < 0 ? f.reqId : '',
      f.bytes,
      Math.round((end - f.start) * 100),
    );
    const sink = this.sink;
    const u = f.user;
    if (u === undefined && status !== ABORTED_STATUS) {
      const o = sink.room(line.length);
      sink.bytes.set(line, o);
      sink.used = o + line.length;
      return;
    }
    const user = u === undefined ? undefined : JSON.stringify(u);
    const need =
      s.endAt + USER.length + (user ? user.length * 3 : NULL.length) + ABORTED.length + END.length;
    const long = need > sink.max ? Buffer.allocUnsafe(need) : undefined;
    const b = long ?? sink.bytes;
    const start = long ? 0 : sink.room(need);
    b.set(line, start); // need ≥ line.length: what follows endAt is rewritten
    let o = put(b, start + s.endAt, USER);
    o = user === undefined ? put(b, o, NULL) : o + b.write(user, o, 'utf8');
    if (status === ABORTED_STATUS) o = put(b, o, ABORTED);
    o = put(b, o, END);
    if (long) sink.writeLong(long.subarray(0, o));
    else sink.used = o;
  }
}
