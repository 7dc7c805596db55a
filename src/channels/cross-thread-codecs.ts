/**
 * How a CrossThreadChannel's values become slot bytes. The codec is chosen when the channel is
 * created and recorded in the shared header (CODEC word), so every endpoint agrees.
 *
 * A codec works in three steps so that the shared lock is held only for copying:
 *   prepare(v)  before the lock: validate and encode as far as possible (throws on bad input);
 *   write(p)    under the lock: copy the prepared form into the slot, returns its byte length;
 *   read(...)   under the lock: copy the slot out (a number, fresh bytes, a string);
 *   decode(r)   after the lock: rebuild the value (identity for the typed codecs).
 * A codec may also read a run of adjacent slots at once (readRun → Run, decodeRun after the
 * lock): the 'json' codec parses a run as one JSON array (cross-thread-json.ts).
 * The typed codecs ('f64', 'bytes') allocate nothing per message beyond what the receiver keeps
 * and never run the structured clone algorithm: they are the fast path across threads.
 */
import { deserialize, serialize } from 'node:v8';
import { json } from './cross-thread-json.js';

export type CodecName = 'structured' | 'json' | 'f64' | 'bytes';
/** Header CODEC word ↔ name; the index is what is stored. */
export const CODEC_NAMES: readonly CodecName[] = ['structured', 'json', 'f64', 'bytes'];

/** Views of the shared slot payload area (the Ring provides them): bytes, a DataView, and a
 *  Buffer for Node's offset-taking string codecs (no subarray per value). */
export interface Slots {
  readonly data: Uint8Array;
  readonly view: DataView;
  readonly buf: Buffer;
}

/** What prepareMany gives: `length` values, each written into a slot as Codec.write does. */
export interface PreparedMany {
  readonly length: number;
  write(i: number, s: Slots, off: number, max: number, prev: number): number;
}

export interface Codec {
  prepare(v: unknown): unknown;
  /** Encoded size of a prepared value, or any figure ≤ max when it surely fits (checked
   *  against slotBytes before the lock). */
  size(p: unknown, max: number): number;
  /** Copy into the slot at `off` (`max` bytes, the fit checked by size): the length. `prev`
   *  is the length the slot held before (its bytes beyond that are as `init` left them). */
  write(p: unknown, s: Slots, off: number, max: number, prev: number): number;
  read(s: Slots, off: number, len: number): unknown;
  decode(r: unknown): unknown;
  /** Validate and encode `values[from..]` at once (cheaper than a prepare each), or undefined:
   *  prepare them one by one (which also gives the errors). `max` is the slot size. */
  prepareMany?(values: readonly unknown[], from: number, max: number): PreparedMany | undefined;
  /** Prepare the payload area of a new channel. */
  init?(data: Uint8Array): void;
  /** `count` ≥ 2 adjacent slots from `off` read at once (under the lock). */
  readRun?(s: Slots, off: number, count: number, slotBytes: number): unknown;
  /** The values of a run, in order (after the lock). */
  decodeRun?(raw: unknown): unknown[];
}

const identity = (r: unknown) => r;

const structured: Codec = {
  prepare: (v) => serialize(v),
  size: (p) => (p as Uint8Array).length,
  write: (p, s, off) => {
    s.data.set(p as Uint8Array, off);
    return (p as Uint8Array).length;
  },
  // v8.deserialize refuses views of shared memory: copy out first.
  read: (s, off, len) => s.data.slice(off, off + len),
  decode: (r) => deserialize(r as Uint8Array),
};

const f64: Codec = {
  prepare: (v) => {
    if (typeof v !== 'number')
      throw new TypeError(`the f64 codec carries numbers, not ${typeof v}`);
    return v;
  },
  size: () => 8,
  write: (p, s, off) => {
    s.view.setFloat64(off, p as number, true);
    return 8;
  },
  read: (s, off) => s.view.getFloat64(off, true),
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
  write: (p, s, off) => {
    s.data.set(p as Uint8Array, off);
    return (p as Uint8Array).length;
  },
  // A private copy: the receiver must never hold a view of a slot that will be reused.
  read: (s, off, len) => copyOut(s.data, off, len),
  decode: identity,
};

/** Indexed by the header's CODEC word (see CODEC_NAMES). */
export const CODECS: readonly Codec[] = [structured, json, f64, bytes];
