/**
 * The 'json' codec of CrossThreadChannel: plain JSON values as UTF-8 JSON text in the slots.
 *
 * Every slot is kept a valid stretch of a JSON array: the value's text, spaces, and a comma in
 * the slot's last byte. So a run of adjacent slots, read as one string minus its last comma and
 * wrapped in brackets, parses with one JSON.parse — about 40% cheaper per value than one
 * decode and one parse per slot, which is what the receiving side spends its time on.
 * Invariant J1: in every slot, the bytes from its LEN (metadata) up to the last are spaces and
 * the last byte is a comma once it has been written (init fills spaces; write pads [len, prev)
 * when a shorter value replaces a longer one). A value therefore gets slotBytes − 1 bytes.
 * JSON whitespace and the comma are ASCII, so a run is valid UTF-8 wherever values are.
 *
 * Sending a batch stringifies the whole array once (about half the cost of one stringify per
 * value) and cuts the UTF-8 text at its top-level commas (JsonMany). A value that JSON.stringify
 * would refuse alone (undefined, a function, a symbol; a toJSON giving undefined, which an array
 * turns into null) makes the batch go value by value, so the errors stay the single-value ones.
 * One difference remains: an element's toJSON is called with its index as the key, not "".
 */
import type { Codec, PreparedMany, Slots } from './cross-thread-codecs.js';

const SPACE = 0x20;
const COMMA = 0x2c;

export const json: Codec = {
  prepare: (v) => {
    const text = JSON.stringify(v);
    if (text === undefined) throw new TypeError(`${typeof v} is not a JSON value`);
    return text;
  },
  // The slot's last byte is the separator, hence the +1. UTF-8 takes at most 3 bytes per UTF-16
  // unit; count exactly only when that bound is too large.
  size: (p, max) => {
    const t = p as string;
    return (t.length * 3 < max ? t.length : Buffer.byteLength(t, 'utf8')) + 1;
  },
  init: (data) => {
    data.fill(SPACE);
  },
  // Buffer's write and toString take offsets: no subarray per value (TextEncoder.encodeInto
  // and TextDecoder.decode each need one, and cost about 1.5× as much here).
  write: (p, s: Slots, off, max, prev) => {
    const n = s.buf.write(p as string, off, max - 1, 'utf8');
    if (prev > n) s.data.fill(SPACE, off + n, off + prev); // J1
    s.data[off + max - 1] = COMMA;
    return n;
  },
  read: (s, off, len) => s.buf.toString('utf8', off, off + len),
  decode: (r) => JSON.parse(r as string),
  readRun: (s, off, count, slotBytes) => s.buf.toString('utf8', off, off + count * slotBytes - 1),
  prepareMany,
  decodeRun: (raw) => JSON.parse(`[${raw as string}]`) as unknown[],
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A batch stringified as one JSON array: value i is bytes [bounds[i], bounds[i+1] − 1). */
class JsonMany implements PreparedMany {
  constructor(
    readonly bytes: Buffer,
    readonly bounds: Int32Array,
    readonly length: number,
  ) {}

  write(i: number, s: Slots, off: number, max: number, prev: number): number {
    const from = this.bounds[i]!;
    const n = this.bounds[i + 1]! - 1 - from;
    const src = this.bytes;
    const data = s.data;
    if (n > 64) data.set(src.subarray(from, from + n), off);
    else for (let k = 0; k < n; k++) data[off + k] = src[from + k]!;
    if (prev > n) data.fill(SPACE, off + n, off + prev); // J1
    data[off + max - 1] = COMMA;
    return n;
  }
}

/** Where the top-level values of the JSON array text `b` start (and one past the last's end
 *  + 1 in bounds[n]); the count. Strings are skipped whole (their bytes may be anything). */
function cut(b: Uint8Array, bounds: Int32Array): number {
  const end = b.length - 1; // the closing bracket
  let depth = 0;
  let k = 0;
  bounds[0] = 1;
  for (let i = 1; i < end; i++) {
    const c = b[i]!;
    if (c === QUOTE) {
      for (i++; i < end && b[i] !== QUOTE; i++) if (b[i] === BACKSLASH) i++;
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === COMMA && depth === 0) {
      if (++k >= bounds.length) return -1;
      bounds[k] = i + 1;
    }
  }
  if (++k >= bounds.length) return -1;
  bounds[k] = end + 1;
  return k;
}

function prepareMany(values: readonly unknown[], from: number, max: number) {
  const n = values.length - from;
  if (n < 2) return undefined;
  for (let i = from; i < values.length; i++) {
    const t = typeof values[i];
    if (t === 'undefined' || t === 'function' || t === 'symbol') return undefined;
  }
  let text: string;
  try {
    text = JSON.stringify(from === 0 ? values : values.slice(from));
  } catch {
    return undefined; // a BigInt, a cycle…: the single prepare reports it
  }
  const bytes = Buffer.from(text, 'utf8');
  const bounds = new Int32Array(n + 1);
  if (cut(bytes, bounds) !== n) return undefined;
  for (let i = 0; i < n; i++) {
    const len = bounds[i + 1]! - 1 - bounds[i]!;
    if (len + 1 > max) return undefined; // too large: the single prepare says so
    // "null" for a non-null value: a toJSON that gave undefined, or NaN/Infinity (fine alone).
    if (len === 4 && bytes[bounds[i]!] === 0x6e && values[from + i] !== null) return undefined;
  }
  return new JsonMany(bytes, bounds, n);
}
