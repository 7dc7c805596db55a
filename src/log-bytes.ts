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

/**
 * A non-negative integer (below 2^53) in decimal. Below 2^31 in int32 arithmetic (a division by a
 * constant becomes a multiplication); the time (13 digits, once per millisecond) in doubles.
 */
export function putUint(b: Uint8Array, at: number, n: number): number {
  if (n > 0x7fffffff) return putLarge(b, at, n);
  let x = n | 0;
  const end =
    at +
    (x < 10
      ? 1
      : x < 100
        ? 2
        : x < 1e3
          ? 3
          : x < 1e4
            ? 4
            : x < 1e5
              ? 5
              : x < 1e6
                ? 6
                : x < 1e7
                  ? 7
                  : x < 1e8
                    ? 8
                    : x < 1e9
                      ? 9
                      : 10);
  for (let i = end - 1; i > at; i--) {
    const q = (x / 10) | 0;
    b[i] = 48 + (x - q * 10);
    x = q;
  }
  b[at] = 48 + x;
  return end;
}

function putLarge(b: Uint8Array, at: number, n: number): number {
  let end = at + 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) end++;
  let x = n;
  for (let i = end - 1; i >= at; i--) {
    const q = Math.floor(x / 10);
    b[i] = 48 + (x - q * 10);
    x = q;
  }
  return end;
}

/** Seconds as milliseconds with two decimals ("1.20" for 1.2 ms: the same JSON number). */
export function putMs(b: Uint8Array, at: number, seconds: number): number {
  const h = Math.round(seconds * 1e5);
  const whole = Math.floor(h / 100);
  const f = (h - whole * 100) | 0;
  const o = putUint(b, at, whole);
  const tens = (f / 10) | 0;
  b[o] = 46; // '.'
  b[o + 1] = 48 + tens;
  b[o + 2] = 48 + (f - tens * 10);
  return o + 3;
}
