/**
 * The access line's wall time is performance.now() plus an offset read every 50 ms
 * (src/http/common/access-log.ts `wallOffset`). A pause between the two clocks' reads must not
 * move the offset: the narrowest of a few bracketed reads is taken. Clocks given as functions.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { wallOffset } from '../../src/http/common/access-log.js';

/** A clock that returns `values` in order. */
const clock = (values: number[]) => () => {
  const v = values.shift();
  if (v === undefined) throw new Error('clock read more often than expected');
  return v;
};

describe('wallOffset', () => {
  it('skips a read paused between the two clocks', () => {
    // True offset 1_000_000. The first read is paused 30 ms after the wall read (its bracket is
    // 30 ms wide); the second is tight.
    const mono = clock([100, 130.01, 200, 200.01]);
    const wall = clock([1_000_100, 1_000_200]);
    const offset = wallOffset(wall, mono);
    expect(offset).toBeCloseTo(1_000_000, 1);
    // What one back-to-back read (wall, then mono) would have said: 30 ms early.
    expect(1_000_100 - 130.01).toBeLessThan(offset - 29);
  });

  it('takes the narrowest of three wide reads and stops at a tight one', () => {
    const mono = clock([0, 5, 10, 12, 20, 29]);
    const wall = clock([1000, 1011, 1020]);
    // Widths 5, 2, 9: the second read's middle (11) against its wall read (1011).
    expect(wallOffset(wall, mono)).toBe(1000);
    const tight = clock([0, 0.01]);
    expect(wallOffset(clock([5000]), tight)).toBeCloseTo(5000, 1);
  });

  it('reads the real clocks by default', () => {
    // Bracketed by the test's own reads, so a pause anywhere widens the bound instead of failing.
    const before = performance.now();
    const wall = Date.now();
    const offset = wallOffset();
    const after = performance.now();
    const width = after - before;
    expect(offset).toBeGreaterThanOrEqual(wall - after - 1 - width);
    expect(offset).toBeLessThanOrEqual(wall + 1 - before + width);
  });
});
