/** parseRange against a direct reading of RFC 9110 §14.1.2, on random single ranges. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRange } from '../../src/http/stream/range.js';

describe('parseRange', () => {
  it('a single first-last range: clamped, 206 iff first < size, ignored iff last < first', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(20_000), fc.nat(20_000), (size, a, b) => {
        const r = parseRange(`bytes=${a}-${b}`, size);
        if (b < a) expect(r).toEqual({ kind: 'full' });
        else if (a >= size) expect(r).toEqual({ kind: 'unsatisfiable' });
        else expect(r).toEqual({ kind: 'partial', start: a, end: Math.min(b, size - 1) });
      }),
    );
  });

  it('a suffix range -n: the last n bytes (all when n > size), unsatisfiable when n = 0', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(20_000), (size, n) => {
        const r = parseRange(`bytes=-${n}`, size);
        if (n === 0 || size === 0) expect(r).toEqual({ kind: 'unsatisfiable' });
        else expect(r).toEqual({ kind: 'partial', start: Math.max(0, size - n), end: size - 1 });
      }),
    );
  });

  it('never returns bounds outside the representation', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(10_000), (tail, size) => {
        const r = parseRange(`bytes=${tail}`, size);
        if (r.kind === 'partial') {
          expect(r.start).toBeGreaterThanOrEqual(0);
          expect(r.end).toBeLessThan(size);
          expect(r.start).toBeLessThanOrEqual(r.end);
        }
      }),
    );
  });
});
