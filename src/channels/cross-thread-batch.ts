/**
 * The batched operations of CrossThreadChannel (its public methods delegate here): runs of
 * values, and records of the 'bytes' codec copied straight between caller buffers and the ring.
 * One lock and at most one wake-up per run; E3 holds (nothing overtakes this endpoint's blocked
 * operations in the same direction). Blocking falls back to the channel's own send/recv for one
 * value, so backpressure, close and abort behave exactly as they do value by value.
 */
import { CODEC_NAMES, type Codec, type PreparedMany } from './cross-thread-codecs.js';
import { RECV_SEQ, SEND_SEQ } from './cross-thread-layout.js';
import { CLOSED_EMPTY, type Ring } from './cross-thread-ring.js';
import { Run, tryRecvManyLocked, trySendManyLocked } from './cross-thread-ring-batch.js';
import {
  type RecordCursor,
  tryRecvRecordsLocked,
  trySendRecordsLocked,
} from './cross-thread-ring-records.js';
import { type Waiters, wake } from './cross-thread-waiters.js';
import {
  AbortError,
  InvalidArgumentError,
  SendOnClosedError,
  UnsupportedChannelError,
} from './errors.js';
import type { RecvResult } from './types.js';

const BYTES = CODEC_NAMES.indexOf('bytes');

/** What the batched operations use of one channel endpoint. */
export interface Endpoint {
  readonly ring: Ring;
  readonly codec: Codec;
  readonly waiters: Waiters;
  send(v: unknown, signal?: AbortSignal): Promise<void>;
  recv(signal?: AbortSignal): Promise<RecvResult<unknown>>;
}

/** Runs under the lock; `undefined` from `locked` means nothing was taken (no wake-up). */
function locked<R>(ring: Ring, word: number, f: () => R): R {
  ring.lock();
  let r: R;
  try {
    r = f();
  } finally {
    ring.unlock();
  }
  if (r !== undefined && r !== 0 && r !== CLOSED_EMPTY) wake(ring.i32, word);
  return r;
}

/** E3 for senders: 0 while this endpoint has blocked senders (they go first). */
function sendersAhead(ep: Endpoint): boolean {
  if (ep.waiters.senders === 0) return false;
  if (ep.ring.closed) throw new SendOnClosedError();
  return true;
}

/** Validate and encode one value before the lock (the codec's prepared form); throws
 *  ERR_CHANNEL_INVALID_ARGUMENT for a value the codec refuses or that does not fit a slot. */
export function prepare(ring: Ring, codec: Codec, value: unknown): unknown {
  let p: unknown;
  try {
    p = codec.prepare(value);
  } catch (err) {
    throw new InvalidArgumentError(`value cannot be encoded: ${(err as Error).message}`);
  }
  const max = ring.slotBytes;
  const size = codec.size(p, max);
  if (size > max) {
    throw new InvalidArgumentError(
      `value serialises to ${size} bytes, more than options.slotBytes (${max})`,
    );
  }
  return p;
}

export function prepareAll(
  ep: Endpoint,
  values: readonly unknown[],
  from: number,
): unknown[] | PreparedMany {
  const many = ep.codec.prepareMany?.(values, from, ep.ring.slotBytes);
  if (many !== undefined) return many;
  const ps: unknown[] = new Array(Math.max(0, values.length - from));
  const { ring, codec } = ep;
  for (let i = from; i < values.length; i++) ps[i - from] = prepare(ring, codec, values[i]);
  return ps;
}

/** Send prepared values from `from` while they complete now: the count. */
export function sendPrepared(ep: Endpoint, ps: unknown[] | PreparedMany, from: number): number {
  if (from >= ps.length || sendersAhead(ep)) return 0;
  return locked(ep.ring, RECV_SEQ, () => trySendManyLocked(ep.ring, ep.codec, ps, from));
}

export async function sendMany(ep: Endpoint, values: readonly unknown[], signal?: AbortSignal) {
  if (signal?.aborted) throw new AbortError(signal.reason);
  const ps = prepareAll(ep, values, 0);
  let i = sendPrepared(ep, ps, 0);
  while (i < ps.length) {
    await ep.send(values[i], signal);
    i++;
    i += sendPrepared(ep, ps, i);
  }
}

/** Decoded values taken now (≤ max); undefined if it would block; [] once closed and drained. */
export function tryRecvMany(ep: Endpoint, max: number): unknown[] | undefined {
  if (!(max >= 1)) throw new InvalidArgumentError('max must be at least 1');
  if (ep.waiters.receivers > 0) return undefined;
  const raw: unknown[] = [];
  const r = locked(ep.ring, SEND_SEQ, () => tryRecvManyLocked(ep.ring, ep.codec, max, raw));
  if (r === undefined) return undefined;
  return decodeAll(ep.codec, raw);
}

/** Decode read results in place; runs expand (one run alone is returned as decoded). */
function decodeAll(codec: Codec, raw: unknown[]): unknown[] {
  const decode = codec.decode;
  if (codec.decodeRun === undefined) {
    for (let i = 0; i < raw.length; i++) raw[i] = decode(raw[i]);
    return raw;
  }
  let runs = false;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] instanceof Run) runs = true;
    else raw[i] = decode(raw[i]);
  }
  if (!runs) return raw;
  if (raw.length === 1) return codec.decodeRun!((raw[0] as Run).raw);
  const out: unknown[] = [];
  for (const v of raw) {
    if (!(v instanceof Run)) out.push(v);
    else for (const x of codec.decodeRun!(v.raw)) out.push(x);
  }
  return out;
}

export async function recvMany(ep: Endpoint, max: number, signal?: AbortSignal) {
  if (signal?.aborted) throw new AbortError(signal.reason);
  const now = tryRecvMany(ep, max);
  if (now !== undefined) return now;
  const first = await ep.recv(signal);
  if (!first.ok) return [];
  const more = max > 1 ? tryRecvMany(ep, max - 1) : undefined;
  const out = more ?? [];
  out.unshift(first.value);
  return out;
}

function checkRecords(ep: Endpoint, src: Uint8Array, recordBytes: number): number {
  if (ep.ring.codec !== BYTES) throw new UnsupportedChannelError("records need the 'bytes' codec");
  if (!(src instanceof Uint8Array)) throw new InvalidArgumentError('src must be a Uint8Array');
  if (!Number.isInteger(recordBytes) || recordBytes < 1 || recordBytes > ep.ring.slotBytes) {
    throw new InvalidArgumentError(
      `recordBytes must be an integer in [1, options.slotBytes (${ep.ring.slotBytes})]`,
    );
  }
  if (src.length % recordBytes !== 0) {
    throw new InvalidArgumentError('src length must be a multiple of recordBytes');
  }
  return src.length / recordBytes;
}

/** Records `from..` of `src` that complete now: the count. */
export function trySendRecords(ep: Endpoint, src: Uint8Array, size: number, from = 0): number {
  const count = checkRecords(ep, src, size);
  if (from >= count || sendersAhead(ep)) return 0;
  return locked(ep.ring, RECV_SEQ, () => trySendRecordsLocked(ep.ring, src, size, from, count));
}

export async function sendRecords(
  ep: Endpoint,
  src: Uint8Array,
  size: number,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) throw new AbortError(signal.reason);
  const count = checkRecords(ep, src, size);
  let i = trySendRecords(ep, src, size, 0);
  while (i < count) {
    // Blocked: this one record waits as a plain send (a copy, so the caller's buffer is free
    // once the promise settles), then the rest go in runs again.
    await ep.send(src.slice(i * size, (i + 1) * size), signal);
    i++;
    i += trySendRecords(ep, src, size, i);
  }
}

function checkDst(ep: Endpoint, dst: Uint8Array, lengths: Uint32Array | undefined): number {
  if (ep.ring.codec !== BYTES) throw new UnsupportedChannelError("records need the 'bytes' codec");
  if (!(dst instanceof Uint8Array) || dst.length < ep.ring.slotBytes) {
    throw new InvalidArgumentError(
      `dst must be a Uint8Array of at least options.slotBytes (${ep.ring.slotBytes}) bytes`,
    );
  }
  if (lengths !== undefined && (!(lengths instanceof Uint32Array) || lengths.length < 1)) {
    throw new InvalidArgumentError('lengths must be a non-empty Uint32Array');
  }
  return lengths?.length ?? dst.length;
}

function takeRecords(
  ep: Endpoint,
  dst: Uint8Array,
  lengths: Uint32Array | undefined,
  cur: RecordCursor,
  max: number,
) {
  return locked(ep.ring, SEND_SEQ, () => tryRecvRecordsLocked(ep.ring, dst, lengths, cur, max));
}

/** Records copied into `dst` now: their count, 0 once closed and drained, undefined if it
 *  would block. */
export function tryRecvRecords(ep: Endpoint, dst: Uint8Array, lengths?: Uint32Array) {
  const max = checkDst(ep, dst, lengths);
  if (ep.waiters.receivers > 0) return undefined;
  const r = takeRecords(ep, dst, lengths, { pos: 0, index: 0 }, max);
  return r === CLOSED_EMPTY ? 0 : r;
}

export async function recvRecords(
  ep: Endpoint,
  dst: Uint8Array,
  lengths?: Uint32Array,
  signal?: AbortSignal,
): Promise<number> {
  if (signal?.aborted) throw new AbortError(signal.reason);
  const now = tryRecvRecords(ep, dst, lengths);
  if (now !== undefined) return now;
  const max = lengths?.length ?? dst.length;
  const first = await ep.recv(signal);
  if (!first.ok) return 0;
  const rec = first.value as Uint8Array;
  dst.set(rec, 0);
  if (lengths !== undefined) lengths[0] = rec.length;
  if (max === 1 || ep.waiters.receivers > 0) return 1;
  const more = takeRecords(ep, dst, lengths, { pos: rec.length, index: 1 }, max - 1);
  return 1 + (typeof more === 'number' ? more : 0);
}
