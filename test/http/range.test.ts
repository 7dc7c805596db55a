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

  it('whole headers built from valid and invalid specs: the RFC reading decides the answer', () => {
    /** One range-spec, built valid or invalid on purpose, with what it means for `size`. */
    type Spec = { text: string; valid: boolean; range?: (size: number) => [number, number] | null };
    const n = fc.nat(20_000);
    const ws = fc.constantFrom('', ' ', '  ', '\t');
    const spec: fc.Arbitrary<Spec> = fc.oneof(
      // first-last with first <= last
      fc.tuple(n, n).map(([a, b]): Spec => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return {
          text: `${lo}-${hi}`,
          valid: true,
          range: (size) => (lo < size ? [lo, Math.min(hi, size - 1)] : null),
        };
      }),
      // first- (to the end)
      n.map(
        (a): Spec => ({
          text: `${a}-`,
          valid: true,
          range: (size) => (a < size ? [a, size - 1] : null),
        }),
      ),
      // -suffix
      n.map(
        (k): Spec => ({
          text: `-${k}`,
          valid: true,
          range: (size) => (k > 0 && size > 0 ? [Math.max(0, size - k), size - 1] : null),
        }),
      ),
      // invalid on purpose: last < first, no digits, a bare dash, two dashes, letters, signs
      fc
        .tuple(n, fc.integer({ min: 1, max: 1000 }))
        .map(([a, d]): Spec => ({ text: `${a + d}-${a}`, valid: false })),
      fc
        .constantFrom('-', '--', '1-2-3', 'a-1', '1-b', '+1-2', '1.5-2', '0x1-2', '1 - 2')
        .map((text): Spec => ({ text, valid: false })),
    );
    const header = fc.record({
      unit: fc.constantFrom('bytes', 'Bytes', ' bytes ', 'items', 'byte'),
      specs: fc.array(fc.tuple(ws, spec, ws), { minLength: 0, maxLength: 4 }),
      empties: fc.nat(2),
    });
    fc.assert(
      fc.property(header, fc.nat(10_000), ({ unit, specs, empties }, size) => {
        const parts = [
          ...specs.map(([l, x, r]) => `${l}${x.text}${r}`),
          ...Array(empties).fill(' '),
        ];
        const r = parseRange(`${unit}=${parts.join(',')}`, size);
        if (unit.trim().toLowerCase() !== 'bytes' || specs.length === 0) {
          expect(r).toEqual({ kind: 'full' });
          return;
        }
        if (specs.some(([, x]) => !x.valid)) {
          expect(r).toEqual({ kind: 'full' }); // an invalid Range header is ignored
          return;
        }
        const hits = specs.map(([, x]) => x.range!(size)).filter((h) => h !== null);
        if (hits.length === 0) expect(r).toEqual({ kind: 'unsatisfiable' });
        else if (hits.length > 1)
          expect(r).toEqual({ kind: 'full' }); // our choice: no multipart
        else expect(r).toEqual({ kind: 'partial', start: hits[0]![0], end: hits[0]![1] });
      }),
      { numRuns: 2000 },
    );
  });
});
