/**
 * The byte writers access lines are made with (src/log-bytes.ts) spell numbers and text exactly
 * as JSON.stringify / String would, for every value a line can carry.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesOf, put, putAscii, putMs, putUint } from '../../src/log-bytes.js';

const text = (b: Uint8Array, from: number, to: number) =>
  Buffer.from(b.subarray(from, to)).toString('utf8');

describe('log bytes', () => {
  it('putUint spells every integer below 2^53 as String does, at any offset', () => {
    const b = new Uint8Array(64).fill(120);
    const edges = [0, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 1796036641713, 2 ** 53 - 1];
    for (const n of edges) expect(text(b, 5, putUint(b, 5, n))).toBe(String(n));
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.nat(30), (n, at) => {
        const end = putUint(b, at, n);
        expect(text(b, at, end)).toBe(String(n));
      }),
    );
  });

  it('putMs writes seconds as milliseconds with two decimals: the JSON number of the rounded value', () => {
    const b = new Uint8Array(64);
    for (const [s, want] of [
      [0, '0.00'],
      [0.00001, '0.01'],
      [0.0012, '1.20'],
      [0.123456, '123.46'],
      [3600, '3600000.00'],
      [30 * 86400, '2592000000.00'],
    ] as const)
      expect(text(b, 0, putMs(b, 0, s))).toBe(want);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e7, noNaN: true }), (s) => {
        const written = Number(text(b, 0, putMs(b, 0, s)));
        expect(written).toBe(Math.round(s * 1e5) / 100);
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
