/**
 * Options of CrossThreadChannel (validated here, naming the option) and the value codecs. The
 * choice is recorded in the shared header, so every endpoint on every thread agrees.
 */
import { deserialize, serialize } from 'node:v8';
import { createRingBuffer } from './cross-thread-ring.js';
import { InvalidOptionError } from './errors.js';

export interface CrossThreadChannelOptions {
  /** Buffered values; 0 = unbuffered rendezvous. @default 0 */
  capacity?: number;
  /** Largest serialised value, in bytes. @default 1024 */
  slotBytes?: number;
  /** 'structured' (structured clone) or 'json' (faster; JSON values only). @default 'structured' */
  codec?: 'structured' | 'json';
  /** Blocked senders whose values may wait in shared memory (beyond that, senders wait for a
   *  slot before parking). @default 16 */
  parkedSenders?: number;
}

export const CROSS_THREAD_DEFAULTS = Object.freeze({
  capacity: 0,
  slotBytes: 1024,
  parkedSenders: 16,
  codec: 'structured' as const,
});

export interface Codec {
  encode(v: unknown): Uint8Array;
  decode(b: Uint8Array): unknown;
}

const utf8in = new TextEncoder();
const utf8out = new TextDecoder();
/** Indexed by the header's CODEC word: 0 structured clone, 1 JSON. */
export const CODECS: readonly Codec[] = [
  { encode: (v) => serialize(v), decode: (b) => deserialize(b) },
  {
    encode: (v) => {
      const text = JSON.stringify(v);
      if (text === undefined) throw new TypeError(`${typeof v} is not a JSON value`);
      return utf8in.encode(text);
    },
    decode: (b) => JSON.parse(utf8out.decode(b)),
  },
];

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InvalidOptionError(`options.${name} must be an integer in [${min}, ${max}]`);
  }
  return v;
}

/** Validate the options and lay out a new channel's shared memory. */
export function createChannelBuffer(
  options: number | CrossThreadChannelOptions,
): SharedArrayBuffer {
  const o = typeof options === 'number' ? { capacity: options } : (options ?? {});
  const capacity = checkInt('capacity', o.capacity ?? CROSS_THREAD_DEFAULTS.capacity, 0, 1 << 20);
  const slotBytes = checkInt(
    'slotBytes',
    o.slotBytes ?? CROSS_THREAD_DEFAULTS.slotBytes,
    8,
    1 << 24,
  );
  const parkedSenders = checkInt(
    'parkedSenders',
    o.parkedSenders ?? CROSS_THREAD_DEFAULTS.parkedSenders,
    1,
    1 << 16,
  );
  const codec = o.codec ?? CROSS_THREAD_DEFAULTS.codec;
  if (codec !== 'structured' && codec !== 'json') {
    throw new InvalidOptionError("options.codec must be 'structured' or 'json'");
  }
  return createRingBuffer({
    capacity,
    slotBytes: (slotBytes + 3) & ~3,
    parkedSenders,
    codec: codec === 'json' ? 1 : 0,
  });
}
