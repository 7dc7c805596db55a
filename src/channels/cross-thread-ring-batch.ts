/**
 * Batched operations on a cross-thread ring (cross-thread-ring.ts): runs of values under one
 * lock and one wake-up. Every function here needs `ring.lock()` held and keeps R1–R5:
 *   - sends complete only into room that trySendLocked would also grant (no parked sender, free
 *     slots, DONE_LIVE < CAP + RECV_WAITING), so a run is exactly what value-by-value trySends
 *     would have done, in the same order; one RECV_SEQ bump publishes the run;
 *   - receives take the DONE prefix (R2) in a tight loop with one SEND_SEQ bump, then parked
 *     values one at a time through the ring's own head operations (as tryRecvLocked does).
 * Records (the 'bytes' codec) are copied straight between the caller's buffer and the slots:
 * no per-record allocation, and when records fill their slots a run is one or two memcpys.
 */
import type { Codec, PreparedMany } from './cross-thread-codecs.js';
import {
  CAP,
  CLOSED,
  DONE,
  DONE_LIVE,
  EMPTY,
  HEAD_T,
  LIVE,
  META,
  PROMO_T,
  RECV_SEQ,
  RECV_WAITING,
  SEND_SEQ,
  TAIL_T,
  TOMB,
} from './cross-thread-layout.js';
import { CLOSED_EMPTY, type Ring } from './cross-thread-ring.js';
import { SendOnClosedError } from './errors.js';

/** Sends that complete now, at most `want`: 0 while a sender is parked (R3, senders stay FIFO). */
function roomLocked(r: Ring, want: number): number {
  const a = r.i32;
  if (a[CLOSED]) throw new SendOnClosedError();
  if (a[PROMO_T] !== a[TAIL_T]) return 0;
  const free = r.slots - ((a[TAIL_T]! - a[HEAD_T]!) | 0);
  return Math.min(free, a[CAP]! + a[RECV_WAITING]! - a[DONE_LIVE]!, want);
}

/** `n` DONE slots were written from TAIL_T on: publish them (one RECV_SEQ bump). */
function commitSendLocked(r: Ring, n: number): void {
  const a = r.i32;
  a[TAIL_T] = (a[TAIL_T]! + n) | 0;
  a[PROMO_T] = a[TAIL_T]!;
  a[LIVE]! += n;
  a[DONE_LIVE]! += n;
  Atomics.add(a, RECV_SEQ, 1);
}

/** `n` values were copied out of the DONE prefix, up to ticket `t`: free their slots. */
function commitRecvLocked(r: Ring, t: number, n: number): void {
  const a = r.i32;
  if (t === a[HEAD_T]) return;
  a[HEAD_T] = t;
  a[LIVE]! -= n;
  a[DONE_LIVE]! -= n;
  r.freeTombsLocked();
  r.promoteLocked();
  Atomics.add(a, SEND_SEQ, 1);
}

/** Small copies in a loop: a TypedArray#set call costs more than copying 64 bytes by hand. */
function copy(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  if (n > 64) dst.set(src.subarray(from, from + n), to);
  else for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
}

/** Put prepared values `ps[from..]` (one prepare each, or a codec's prepareMany) while sends
 *  complete now; the count. */
export function trySendManyLocked(
  r: Ring,
  codec: Codec,
  ps: readonly unknown[] | PreparedMany,
  from: number,
) {
  const room = roomLocked(r, ps.length - from);
  if (room <= 0) return 0;
  const { meta, mask, slotBytes } = r;
  const each = Array.isArray(ps) ? (ps as readonly unknown[]) : undefined;
  const many = ps as PreparedMany;
  let t = r.i32[TAIL_T]!;
  for (let i = 0; i < room; i++, t = (t + 1) | 0) {
    const m = (t & mask) * META;
    meta[m] = DONE;
    meta[m + 1] = t;
    const off = (t & mask) * slotBytes;
    meta[m + 2] =
      each !== undefined
        ? codec.write(each[from + i], r, off, slotBytes, meta[m + 2]!)
        : many.write(from + i, r, off, slotBytes, meta[m + 2]!);
  }
  commitSendLocked(r, room);
  return room;
}

/** Several values a codec read as one run of adjacent slots (Codec.readRun). */
export class Run {
  constructor(readonly raw: unknown) {}
}

/**
 * Append up to `max` codec read results to `out` (a Run per stretch of adjacent slots when the
 * codec reads runs): the count of values, or CLOSED_EMPTY / undefined (as tryRecvLocked says)
 * when there is none.
 */
export function tryRecvManyLocked(r: Ring, codec: Codec, max: number, out: unknown[]) {
  const { meta, mask, slotBytes } = r;
  let t = r.i32[HEAD_T]!;
  const stop = r.i32[PROMO_T]!;
  let n = 0;
  if (codec.readRun !== undefined) n = takeRunsLocked(r, codec, max, out);
  else {
    for (; n < max && t !== stop; t = (t + 1) | 0) {
      const m = (t & mask) * META;
      // promote() passes over tombstones, so one may sit before PROMO_T: skip it (it keeps its
      // ticket until reused, see freeTombsLocked).
      if (meta[m] === TOMB) continue;
      out.push(codec.read(r, (t & mask) * slotBytes, meta[m + 2]!));
      meta[m] = EMPTY;
      n++;
    }
    commitRecvLocked(r, t, n);
  }
  while (n < max) {
    const v = r.tryRecvLocked();
    if (v === undefined || v === CLOSED_EMPTY) return n > 0 ? n : v;
    out.push(v);
    n++;
  }
  return n;
}

/** tryRecvManyLocked's DONE-prefix loop for codecs that read runs: runs of adjacent slots,
 *  split at tombstones and where the ring wraps; the count of values taken. */
function takeRunsLocked(r: Ring, codec: Codec, max: number, out: unknown[]): number {
  const { meta, mask, slotBytes } = r;
  let t = r.i32[HEAD_T]!;
  const stop = r.i32[PROMO_T]!;
  let n = 0;
  while (n < max && t !== stop) {
    const first = t & mask;
    if (meta[first * META] === TOMB) {
      t = (t + 1) | 0;
      continue;
    }
    let len = 0;
    while (n + len < max && t !== stop) {
      const slot = t & mask;
      if (meta[slot * META] === TOMB || slot !== first + len) break;
      meta[slot * META] = EMPTY;
      len++;
      t = (t + 1) | 0;
    }
    if (len === 1) out.push(codec.read(r, first * slotBytes, meta[first * META + 2]!));
    else out.push(new Run(codec.readRun!(r, first * slotBytes, len, slotBytes)));
    n += len;
  }
  commitRecvLocked(r, t, n);
  return n;
}

/** Put records `from..count-1` of `src` (each `size` bytes, back to back) while sends
 *  complete now; the count. */
export function trySendRecordsLocked(
  r: Ring,
  src: Uint8Array,
  size: number,
  from: number,
  count: number,
): number {
  const room = roomLocked(r, count - from);
  if (room <= 0) return 0;
  const { meta, data, mask, slotBytes, slots } = r;
  const t0 = r.i32[TAIL_T]!;
  for (let i = 0, t = t0; i < room; i++, t = (t + 1) | 0) {
    const m = (t & mask) * META;
    meta[m] = DONE;
    meta[m + 1] = t;
    meta[m + 2] = size;
  }
  const s = from * size;
  if (size === slotBytes) {
    // Full slots are contiguous in both buffers: one copy, two where the ring wraps.
    const first = t0 & mask;
    const n1 = Math.min(room, slots - first);
    data.set(src.subarray(s, s + n1 * size), first * slotBytes);
    if (room > n1) data.set(src.subarray(s + n1 * size, s + room * size), 0);
  } else {
    for (let i = 0; i < room; i++) {
      copy(src, s + i * size, data, ((t0 + i) & mask) * slotBytes, size);
    }
  }
  commitSendLocked(r, room);
  return room;
}

/** Where tryRecvRecordsLocked writes: the next free byte of `dst` and the next length index. */
export interface RecordCursor {
  pos: number;
  index: number;
}

/**
 * Copy up to `max` records into `dst` from `cur.pos` on, back to back (their lengths into
 * `lengths` from `cur.index` when given), stopping at the first record that does not fit; the
 * count (advancing `cur`), or CLOSED_EMPTY / undefined when the ring holds no value.
 */
export function tryRecvRecordsLocked(
  r: Ring,
  dst: Uint8Array,
  lengths: Uint32Array | undefined,
  cur: RecordCursor,
  max: number,
): number | typeof CLOSED_EMPTY | undefined {
  const { meta, data, mask, slotBytes } = r;
  let t = r.i32[HEAD_T]!;
  const stop = r.i32[PROMO_T]!;
  let n = 0;
  let pos = cur.pos;
  // The pending copy [from, from + len) of data → dst at `at`: extended while records fill
  // their slots and the ring does not wrap, so fixed-size records move in one or two copies.
  let from = 0;
  let at = pos;
  let len = 0;
  for (; n < max && t !== stop; t = (t + 1) | 0) {
    const m = (t & mask) * META;
    if (meta[m] === TOMB) continue;
    const size = meta[m + 2]!;
    if (pos + size > dst.length) break;
    const off = (t & mask) * slotBytes;
    if (off === from + len && at + len === pos) len += size;
    else {
      copy(data, from, dst, at, len);
      from = off;
      at = pos;
      len = size;
    }
    if (lengths !== undefined) lengths[cur.index + n] = size;
    meta[m] = EMPTY;
    pos += size;
    n++;
  }
  copy(data, from, dst, at, len);
  commitRecvLocked(r, t, n);
  // Parked values (after the DONE prefix), one at a time as tryRecvLocked takes them.
  while (n < max) {
    const size = r.headLengthLocked();
    if (size < 0) {
      if (n > 0) break;
      return r.closed ? CLOSED_EMPTY : undefined;
    }
    if (pos + size > dst.length) break;
    copy(data, r.headOffsetLocked(), dst, pos, size);
    if (lengths !== undefined) lengths[cur.index + n] = size;
    r.dropHeadLocked();
    pos += size;
    n++;
  }
  cur.pos = pos;
  cur.index += n;
  return n;
}
