/**
 * How a CrossThreadChannel's values become slot bytes. The codec is chosen when the channel is
 * created and recorded in the shared header (CODEC word), so every endpoint agrees.
 *
 * A codec works in three steps so that the shared lock is held only for copying:
 *   prepare(v)  before the lock: validate and encode as far as possible (throws on bad input);
 *   write(p)    under the lock: copy the prepared form into the slot, returns its byte length;
 *   read(...)   under the lock: copy the slot out (a number, fresh bytes, a string);
 *   decode(r)   after the lock: rebuild the value (identity for the typed codecs).
 * The typed codecs ('f64', 'bytes') allocate nothing per message beyond what the receiver keeps
 * and never run the structured clone algorithm: they are the fast path across threads.
 */
import { deserialize, serialize } from 'node:v8';

export type CodecName = 'structured' | 'json' | 'f64' | 'bytes';
/** Header CODEC word ↔ name; the index is what is stored. */
export const CODEC_NAMES: readonly CodecName[] = ['structured', 'json', 'f64', 'bytes'];

export interface Codec {
  prepare(v: unknown): unknown;
  /** Encoded size of a prepared value, or any figure ≤ max when it surely fits (checked
   *  against slotBytes before the lock). */
  size(p: unknown, max: number): number;
  write(p: unknown, data: Uint8Array, view: DataView, off: number): number;
  read(data: Uint8Array, view: DataView, off: number, len: number): unknown;
  decode(r: unknown): unknown;
}

const utf8in = new TextEncoder();
const utf8out = new TextDecoder();
const identity = (r: unknown) => r;

const structured: Codec = {
  prepare: (v) => serialize(v),
  size: (p) => (p as Uint8Array).length,
  write: (p, data, _view, off) => {
    data.set(p as Uint8Array, off);
    return (p as Uint8Array).length;
  },
  // v8.deserialize refuses views of shared memory: copy out first.
  read: (data, _view, off, len) => data.slice(off, off + len),
  decode: (r) => deserialize(r as Uint8Array),
};

const json: Codec = {
  prepare: (v) => {
    const text = JSON.stringify(v);
    if (text === undefined) throw new TypeError(`${typeof v} is not a JSON value`);
    return text;
  },
  // UTF-8 takes at most 3 bytes per UTF-16 unit; count exactly only when that bound is too large.
  size: (p, max) => {
    const t = p as string;
    return t.length * 3 <= max ? t.length : Buffer.byteLength(t, 'utf8');
  },
  write: (p, data, _view, off) => utf8in.encodeInto(p as string, data.subarray(off)).written,
  read: (data, _view, off, len) => utf8out.decode(data.subarray(off, off + len)),
  decode: (r) => JSON.parse(r as string),
};

const f64: Codec = {
  prepare: (v) => {
    if (typeof v !== 'number')
      throw new TypeError(`the f64 codec carries numbers, not ${typeof v}`);
    return v;
  },
  size: () => 8,
  write: (p, _data, view, off) => {
    view.setFloat64(off, p as number, true);
    return 8;
  },
  read: (_data, view, off) => view.getFloat64(off, true),
  decode: identity,
};

/**
 * Received records are copied out of the shared slot into a private arena (like Node's Buffer
 * pool): one ArrayBuffer allocation per 64 KiB instead of one per record, which is what made
 * per-record copies slow. A record is a view into its arena; the arena stays alive while any
 * of its records does. Records above 4 KiB get their own buffer.
 */
const ARENA_BYTES = 64 * 1024;
let arena = new ArrayBuffer(0);
let arenaPos = 0;
function copyOut(data: Uint8Array, off: number, len: number): Uint8Array {
  if (len > 4096) return data.slice(off, off + len);
  if (arenaPos + len > arena.byteLength) {
    arena = new ArrayBuffer(ARENA_BYTES);
    arenaPos = 0;
  }
  const out = new Uint8Array(arena, arenaPos, len);
  if (len <= 64) for (let i = 0; i < len; i++) out[i] = data[off + i]!;
  else out.set(data.subarray(off, off + len));
  arenaPos = (arenaPos + len + 7) & ~7; // 8-byte aligned, so a record can be viewed as f64s
  return out;
}

const bytes: Codec = {
  prepare: (v) => {
    if (!(v instanceof Uint8Array))
      throw new TypeError('the bytes codec carries Uint8Array values');
    return v;
  },
  size: (p) => (p as Uint8Array).length,
  write: (p, data, _view, off) => {
    data.set(p as Uint8Array, off);
    return (p as Uint8Array).length;
  },
  // A private copy: the receiver must never hold a view of a slot that will be reused.
  read: (data, _view, off, len) => copyOut(data, off, len),
  decode: identity,
};

/** Indexed by the header's CODEC word (see CODEC_NAMES). */
export const CODECS: readonly Codec[] = [structured, json, f64, bytes];
