/** The values the cross-thread benchmark streams, and how the consumer reads their index back. */
export type Kind = 'f64' | 'bytes' | 'records' | 'object';

/** Value i: a number, a 32-byte record (i in its first 4 bytes), or a small object. */
export function makeValue(kind: Kind): (i: number) => unknown {
  if (kind === 'f64') return (i) => i;
  if (kind === 'object') return (i) => ({ i, body: 'payload-0123456789abcdef' });
  // Records are written into 8 KiB blocks (one allocation per 256 records, as a producer that
  // encodes records into a buffer would); the channel copies each into its slot.
  let block = new Uint8Array(0);
  let view = new DataView(block.buffer);
  let pos = 0;
  return (i) => {
    if (pos === block.length) {
      block = new Uint8Array(256 * 32);
      view = new DataView(block.buffer);
      pos = 0;
    }
    view.setUint32(pos, i, true);
    pos += 32;
    return block.subarray(pos - 32, pos);
  };
}

export function indexOf(kind: Kind): (v: unknown) => number {
  if (kind === 'f64') return (v) => v as number;
  if (kind === 'object') return (v) => (v as { i: number }).i;
  return (v) => recordIndex(v as Uint8Array, 0);
}

/** The index in the record at `off` (little-endian u32), read without allocating a view. */
export function recordIndex(r: Uint8Array, off: number): number {
  return (r[off]! | (r[off + 1]! << 8) | (r[off + 2]! << 16) | (r[off + 3]! << 24)) >>> 0;
}

/** Records i..i+n-1 (32 bytes each, index first) written back to back into `block`. */
export function fillRecords(block: Uint8Array, i: number, n: number): Uint8Array {
  for (let k = 0; k < n; k++) {
    const o = k * 32;
    const v = i + k;
    block[o] = v & 0xff;
    block[o + 1] = (v >>> 8) & 0xff;
    block[o + 2] = (v >>> 16) & 0xff;
    block[o + 3] = v >>> 24;
  }
  return block.subarray(0, n * 32);
}
