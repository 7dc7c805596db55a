import { describe, expect, it } from 'vitest';
import { median, medianInterval } from '../bench/stats.js';

/** Values spread evenly over [lo, hi], shuffled by a fixed stride (n coprime with 37: each once). */
function spread(n: number, lo: number, hi: number): number[] {
  const xs = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  return xs.map((_, i) => xs[(i * 37) % n]!);
}

describe('bench statistics', () => {
  it('median: the middle value, the upper middle for an even count, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(3);
    expect(median([5])).toBe(5);
  });

  it('medianInterval: one value repeated gives that value at both ends', () => {
    expect(medianInterval([0.05, 0.05, 0.05])).toEqual([0.05, 0.05]);
  });

  it('medianInterval: brackets the median, and narrows as rounds are added', () => {
    const few = spread(15, -0.1, 0.1);
    const many = spread(81, -0.1, 0.1);
    const [lo15, hi15] = medianInterval(few);
    const [lo81, hi81] = medianInterval(many);
    expect(lo15).toBeLessThan(median(few));
    expect(hi15).toBeGreaterThan(median(few));
    expect(lo81).toBeLessThan(median(many));
    expect(hi81).toBeGreaterThan(median(many));
    expect(hi81 - lo81).toBeLessThan(hi15 - lo15);
    // A median's standard error is ~1.25 σ / √n; σ of an even spread over 0.2 is 0.058, so the
    // 95% interval of 81 such rounds is about ±0.016 wide: within ±0.03, and not a single point.
    expect(lo81).toBeGreaterThan(-0.03);
    expect(hi81).toBeLessThan(0.03);
    expect(hi81 - lo81).toBeGreaterThan(0.01);
  });

  it('medianInterval: an outlier moves it little (a median, not a mean)', () => {
    const xs = spread(81, 0.03, 0.05);
    const withOutliers = [...xs.slice(0, 78), -0.6, -0.4, 0.35];
    const [lo, hi] = medianInterval(withOutliers);
    expect(lo).toBeGreaterThan(0.03);
    expect(hi).toBeLessThan(0.05);
  });

  it('medianInterval: the same values give the same interval (seeded)', () => {
    const xs = spread(41, 0, 1);
    expect(medianInterval(xs)).toEqual(medianInterval([...xs]));
  });

  it('medianInterval: refuses an empty list', () => {
    expect(() => medianInterval([])).toThrow(RangeError);
  });
});
