/**
 * Writing log text straight into bytes (the access log's lines, src/http/common/access-log.ts):
 * constant pieces encoded once and copied, numbers and ASCII ids written digit by digit, so a
 * line leaves no string behind. Every writer takes the target, the offset to write at, and
 * returns the offset after what it wrote; the caller guarantees the room.
 */
import { Buffer } from 'node:buffer';

/** `text` as UTF-8 bytes, for pieces made once. */
export const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

/** Copies `src` into `b` at `at`; returns the end. */
export function put(b: Uint8Array, at: number, src: Uint8Array): number {
  b.set(src, at);
  return at + src.length;
}

/** ASCII text (a request id: a safe token or a UUID, nothing to escape), one byte per character. */
export function putAscii(b: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[at + i] = s.charCodeAt(i);
  return at + s.length;
}

/** How many decimal digits a non-negative integer below 2^53 has. */
export function uintLength(n: number): number {
  if (n > 0x7fffffff) {
    let d = 10;
    for (let x = Math.floor(n / 1e10); x >= 1; x = Math.floor(x / 10)) d++;
    return d;
  }
  return n < 10
    ? 1
    : n < 100
      ? 2
      : n < 1e3
        ? 3
        : n < 1e4
          ? 4
          : n < 1e5
            ? 5
            : n < 1e6
              ? 6
              : n < 1e7
                ? 7
                : n < 1e8
                  ? 8
                  : n < 1e9
                    ? 9
                    : 10;
}

/**
 * A non-negative integer (below 2^53) in decimal. Below 2^31 in int32 arithmetic (a division by a
 * constant becomes a multiplication); larger ones (a time, a big file's bytes) in doubles.
 */
export function putUint(b: Uint8Array, at: number, n: number): number {
  const end = at + uintLength(n);
  if (n > 0x7fffffff) {
    let x = n;
    for (let i = end - 1; i >= at; i--) {
      const q = Math.floor(x / 10);
      b[i] = 48 + (x - q * 10);
      x = q;
    }
    return end;
  }
  let x = n | 0;
  for (let i = end - 1; i > at; i--) {
    const q = (x / 10) | 0;
    b[i] = 48 + (x - q * 10);
    x = q;
  }
  b[at] = 48 + x;
  return end;
}

/** How many bytes putCentis writes for `centis`. */
export function centisLength(centis: number): number {
  return uintLength(Math.floor(centis / 100)) + 3;
}

/**
 * `centis` hundredths (a non-negative integer) as a decimal with two places: 120 → "1.20", the
 * JSON number 1.2. The access line's milliseconds.
 */
export function putCentis(b: Uint8Array, at: number, centis: number): number {
  const whole = Math.floor(centis / 100);
  const f = (centis - whole * 100) | 0;
  const o = putUint(b, at, whole);
  const tens = (f / 10) | 0;
  b[o] = 46; // '.'
  b[o + 1] = 48 + tens;
  b[o + 2] = 48 + (f - tens * 10);
  return o + 3;
}
