/**
 * Batched operations on a cross-thread ring (cross-thread-ring.ts): runs of values under one
 * lock and one wake-up. Every function here needs `ring.lock()` held and keeps R1–R5:
 *   - sends complete only into room that trySendLocked would also grant (no parked sender, free
 *     slots, DONE_LIVE < CAP + RECV_WAITING), so a run is exactly what value-by-value trySends
 *     would have done, in the same order; one RECV_SEQ bump publishes the run;
 *   - receives take the DONE prefix (R2) in a tight loop with one SEND_SEQ bump, then parked
 *     values one at a time through the ring's own head operations (as tryRecvLocked does).
 * Codecs that read runs (json) take the DONE prefix as runs of adjacent slots. Records of the
 * 'bytes' codec have their own batched operations (cross-thread-ring-records.ts).
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
export function roomLocked(r: Ring, want: number): number {
  const a = r.i32;
  if (a[CLOSED]) throw new SendOnClosedError();
  if (a[PROMO_T] !== a[TAIL_T]) return 0;
  const free = r.slots - ((a[TAIL_T]! - a[HEAD_T]!) | 0);
  return Math.min(free, a[CAP]! + a[RECV_WAITING]! - a[DONE_LIVE]!, want);
}

/** `n` DONE slots were written from TAIL_T on: publish them (one RECV_SEQ bump). */
export function commitSendLocked(r: Ring, n: number): void {
  const a = r.i32;
  a[TAIL_T] = (a[TAIL_T]! + n) | 0;
  a[PROMO_T] = a[TAIL_T]!;
  a[LIVE]! += n;
  a[DONE_LIVE]! += n;
  Atomics.add(a, RECV_SEQ, 1);
}

/** `n` values were copied out of the DONE prefix, up to ticket `t`: free their slots. */
export function commitRecvLocked(r: Ring, t: number, n: number): void {
  const a = r.i32;
  if (t === a[HEAD_T]) return;
  a[HEAD_T] = t;
  a[LIVE]! -= n;
  a[DONE_LIVE]! -= n;
  r.freeTombsLocked();
  r.promoteLocked();
  Atomics.add(a, SEND_SEQ, 1);
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
  let t = r.i32[TAIL_T]!;
  if (Array.isArray(ps)) {
    for (let i = 0; i < room; i++, t = (t + 1) | 0) {
      const m = (t & mask) * META;
      meta[m] = DONE;
      meta[m + 1] = t;
      meta[m + 2] = codec.write(ps[from + i], r, (t & mask) * slotBytes, slotBytes, meta[m + 2]!);
    }
  } else {
    // A codec's prepareMany: the same slot writes, through the batch's own write.
    const many = ps as PreparedMany;
    for (let i = 0; i < room; i++, t = (t + 1) | 0) {
      const m = (t & mask) * META;
      meta[m] = DONE;
      meta[m + 1] = t;
      meta[m + 2] = many.write(from + i, r, (t & mask) * slotBytes, slotBytes, meta[m + 2]!);
    }
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
