/**
 * The thread's uWS response prototype, patched once (the responses of a thread share one native
 * prototype). A response carrying a RequestRecord (request.ts, set by the guard) gets:
 *   - crash containment: callbacks uWS calls later from native code (`onData`, `onWritable`,
 *     `onAborted`) run inside the request's AsyncLocalStorage scope and are try/caught, and the
 *     first status line is noted (`started`: a crash can then only drop the connection);
 *   - observation on observed routes (observe.ts): X-Request-Id after the status line, the
 *     status, body bytes, and `finish` on end, a completed tryEnd, close or abort.
 * A response without a record (an unguarded app) pays one property read per call.
 *
 * Invariant: wrapping never changes what a handler sees — the same `res`, the same callbacks'
 * arguments and results (except that a throwing onWritable reports "done": true).
 */
import type { HttpResponse } from 'uWebSockets.js';
import { withRequest } from '../../log.js';
import { byteLength, finish, statusWithId, writeRequestId } from './observe.js';
import { RECORD, type RequestRecord, type WithRecord } from './request.js';
import { statusCode, wiredStatus } from './wire.js';

type Fn = (...a: unknown[]) => unknown;
type Proto = Record<string, Fn>;
type Crashed = (err: unknown, r: RequestRecord) => void;

let lastPatched: object | undefined;
const patched = new WeakSet<object>();

function invoke(r: RequestRecord, fn: Fn, args: unknown[], aborted: boolean, crashed: Crashed) {
  try {
    if (aborted && r.route !== undefined) finish(r, r.route, true);
    return fn(...args);
  } catch (err) {
    crashed(err, r);
    // onWritable wants a boolean: "done with this chunk" stops the retries.
    return true;
  }
}

/** Patches `res`'s prototype once per thread; `crashed` hears of a throwing callback. */
export function patchResponses(res: HttpResponse, crashed: Crashed): void {
  const proto = Object.getPrototypeOf(res) as Proto;
  if (proto === lastPatched || patched.has(proto)) return;
  patched.add(proto);
  lastPatched = proto;
  const o = { ...proto } as Proto;
  const writeHeader = o.writeHeader! as (this: HttpResponse, k: ArrayBuffer, v: string) => unknown;
  const idFirst = (res: WithRecord, r: RequestRecord | undefined) => {
    if (r?.route !== undefined && !r.done && !r.idWritten) writeRequestId(writeHeader, res, r);
  };

  proto.writeStatus = function (this: WithRecord, status: unknown) {
    const r = this[RECORD];
    if (r?.route === undefined || r.idWritten) {
      const out = o.writeStatus!.call(this, status);
      if (r !== undefined) r.started = true;
      return out;
    }
    // A wire status line takes the X-Request-Id line with it: one addon call, not two.
    const wired = wiredStatus(status);
    if (wired !== undefined) {
      const out = o.writeStatus!.call(this, statusWithId(wired.bytes, r));
      r.started = true;
      r.idWritten = true;
      r.status = wired.code;
      return out;
    }
    const out = o.writeStatus!.call(this, status);
    r.started = true;
    r.status = statusCode(status);
    writeRequestId(writeHeader, this, r);
    return out;
  };
  const endAs = (res: HttpResponse, n: number, body: unknown, close: unknown) =>
    n === 0 ? o.end!.call(res) : n === 1 ? o.end!.call(res, body) : o.end!.call(res, body, close);
  const ending = (name: 'endWithoutBody' | 'close') =>
    function (this: WithRecord, ...args: unknown[]) {
      const r = this[RECORD];
      if (r?.route === undefined || r.done) return o[name]!.apply(this, args);
      if (name !== 'close') idFirst(this, r);
      const out = o[name]!.apply(this, args);
      finish(r, r.route, name === 'close');
      return out;
    };
  // end: the hot one, without a rest array (its arity is kept: the addon reads what is passed).
  proto.end = function (this: WithRecord, body?: unknown, close?: unknown) {
    const r = this[RECORD];
    // biome-ignore lint/complexity/noArguments: the arity, without allocating a rest array
    const n = arguments.length;
    if (r?.route === undefined || r.done) return endAs(this, n, body, close);
    idFirst(this, r);
    r.bytes += byteLength(body);
    const out = endAs(this, n, body, close);
    finish(r, r.route, false);
    return out;
  };
  proto.endWithoutBody = ending('endWithoutBody');
  proto.close = ending('close');
  proto.write = function (this: WithRecord, chunk: unknown) {
    const r = this[RECORD];
    if (r?.route !== undefined && !r.done) {
      idFirst(this, r);
      r.bytes += byteLength(chunk);
    }
    return o.write!.call(this, chunk);
  };
  proto.tryEnd = function (this: WithRecord, chunk: unknown, total: unknown) {
    const r = this[RECORD];
    idFirst(this, r);
    const out = o.tryEnd!.call(this, chunk, total) as [boolean, boolean];
    if (r?.route !== undefined && !r.done && out[1]) {
      r.bytes += Number(total);
      finish(r, r.route, false);
    }
    return out;
  };
  for (const name of ['onData', 'onWritable', 'onAborted'] as const) {
    const register = o[name]!;
    const aborted = name === 'onAborted';
    proto[name] = function (this: WithRecord, fn: Fn) {
      const r = this[RECORD];
      if (r === undefined) return register.call(this, fn);
      return register.call(this, (...args: unknown[]) =>
        withRequest(r, invoke, r, fn, args, aborted, crashed),
      );
    } as Fn;
  }
}
