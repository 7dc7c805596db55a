/**
 * Recognising a video container from its first bytes, so Content-Type is what the file is, not
 * what the client claimed: ISO BMFF (mp4/mov: `ftyp` box at offset 4) and EBML (webm/mkv:
 * `1A 45 DF A3`, DocType "webm" or "matroska" in the header).
 */

/** How many leading bytes `sniffContainer` wants (fewer only when the whole file is shorter). */
export const SNIFF_BYTES = 64;

export function sniffContainer(head: Uint8Array): string | undefined {
  const b = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, SNIFF_BYTES));
  if (b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp') {
    return b.toString('latin1', 8, 12) === 'qt  ' ? 'video/quicktime' : 'video/mp4';
  }
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) {
    const text = b.toString('latin1');
    if (text.includes('webm')) return 'video/webm';
    if (text.includes('matroska')) return 'video/x-matroska';
  }
  return undefined;
}
