/** The values the cross-thread benchmark streams, and how the consumer reads their index back. */
export type Kind = 'f64' | 'bytes' | 'object';

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
  return (v) => {
    const r = v as Uint8Array;
    return new DataView(r.buffer, r.byteOffset, 4).getUint32(0, true);
  };
}
