/**
 * Records of the 'bytes' codec, copied straight between a caller's buffer and the slots under
 * the lock: no allocation per record, and when records fill their slots (fixed-size records of
 * options.slotBytes) a run is one memcpy, two where the ring wraps. Same room, order and wake-up
 * rules as the other batched operations (cross-thread-ring-batch.ts), so R1–R5 hold.
 */
import { DONE, EMPTY, HEAD_T, META, PROMO_T, TAIL_T, TOMB } from './cross-thread-layout.js';
import { CLOSED_EMPTY, type Ring } from './cross-thread-ring.js';
import { commitRecvLocked, commitSendLocked, roomLocked } from './cross-thread-ring-batch.js';

/** Small copies in a loop: a TypedArray#set call costs more than copying 64 bytes by hand. */
function copy(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  if (n > 64) dst.set(src.subarray(from, from + n), to);
  else for (let i = 0; i < n; i++) dst[to + i] = src[from + i]!;
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
