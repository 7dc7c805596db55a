/**
 * The byte writers access lines are made with (src/log-bytes.ts) spell numbers and text exactly
 * as JSON.stringify / String would, for every value a line can carry.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesOf,
  centisLength,
  put,
  putAscii,
  putCentis,
  putUint,
  uintLength,
} from '../../src/log-bytes.js';

const text = (b: Uint8Array, from: number, to: number) =>
  Buffer.from(b.subarray(from, to)).toString('utf8');

describe('log bytes', () => {
  it('putUint spells every integer below 2^53 as String does, at any offset', () => {
    const b = new Uint8Array(64).fill(120);
    const edges = [0, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 1796036641713, 2 ** 53 - 1];
    for (const n of edges) {
      expect(text(b, 5, putUint(b, 5, n))).toBe(String(n));
      expect(uintLength(n)).toBe(String(n).length);
    }
    // Every power of ten and its neighbours: where a length changes.
    for (let p = 1; p < 2 ** 53; p *= 10) {
      for (const n of [p - 1, p, p + 1]) expect(uintLength(n)).toBe(String(n).length);
    }
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.nat(30), (n, at) => {
        const end = putUint(b, at, n);
        expect(text(b, at, end)).toBe(String(n));
        expect(end - at).toBe(uintLength(n));
      }),
    );
  });

  it('putCentis writes hundredths as a decimal with two places: the JSON number of centis / 100', () => {
    const b = new Uint8Array(64);
    for (const [c, want] of [
      [0, '0.00'],
      [1, '0.01'],
      [120, '1.20'],
      [12346, '123.46'],
      [360000000, '3600000.00'],
      [259200000000, '2592000000.00'],
    ] as const) {
      expect(text(b, 0, putCentis(b, 0, c))).toBe(want);
      expect(centisLength(c)).toBe(want.length);
    }
    fc.assert(
      fc.property(fc.nat({ max: 1e12 }), (c) => {
        const end = putCentis(b, 0, c);
        expect(Number(text(b, 0, end))).toBe(c / 100);
        expect(end).toBe(centisLength(c));
      }),
    );
  });

  it('put and putAscii copy pieces and ids end to end', () => {
    const b = new Uint8Array(128);
    let o = put(b, 0, bytesOf('{"reqId":"'));
    o = putAscii(b, o, 'edge-42:abc.DEF_9');
    o = put(b, o, bytesOf('","u":"grüße"}'));
    expect(JSON.parse(text(b, 0, o))).toEqual({ reqId: 'edge-42:abc.DEF_9', u: 'grüße' });
  });
});
