/**
 * Options of CrossThreadChannel (validated here, naming the option). The codec choice is
 * recorded in the shared header, so every endpoint on every thread agrees (cross-thread-codecs.ts).
 */
import { CODEC_NAMES, CODECS, type CodecName } from './cross-thread-codecs.js';
import { createRingBuffer } from './cross-thread-layout.js';
import { Ring } from './cross-thread-ring.js';
import { InvalidOptionError } from './errors.js';

export interface CrossThreadChannelOptions {
  /** Buffered values; 0 = unbuffered rendezvous. @default 0 */
  capacity?: number;
  /** Largest serialised value, in bytes. @default 1024 */
  slotBytes?: number;
  /**
   * How values cross: 'structured' (structured clone: what postMessage carries), 'json' (plain
   * JSON values, about 3× cheaper), or the typed codecs that skip serialisation altogether:
   * 'f64' (numbers, 8 bytes a slot) and 'bytes' (Uint8Array records up to slotBytes, received
   * as private copies). @default 'structured'
   */
  codec?: CodecName;
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
  const codecIndex = CODEC_NAMES.indexOf(codec);
  if (codecIndex < 0) {
    throw new InvalidOptionError(`options.codec must be one of ${CODEC_NAMES.join(', ')}`);
  }
  const sab = createRingBuffer({
    capacity,
    slotBytes: (slotBytes + 3) & ~3,
    parkedSenders,
    codec: codecIndex,
  });
  CODECS[codecIndex]!.init?.(new Ring(sab).data);
  return sab;
}
