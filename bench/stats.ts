/**
 * Statistics the benchmarks share: the median of rounds and how far it can be trusted.
 */

/** The median (for an even count, the upper of the two middle values). */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A seeded generator (mulberry32): the same rounds give the same interval. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/**
 * A 95% interval of the median of `xs` (a percentile bootstrap: the median of `resamples`
 * samples drawn from `xs` with replacement, their 2.5th and 97.5th percentiles): where the median
 * of another run of rounds like these would fall. It says whether a run tells its median from a
 * goal. Deterministic: the same `xs` give the same interval.
 */
export function medianInterval(xs: readonly number[], resamples = 10_000): [number, number] {
  if (xs.length === 0) throw new RangeError('medianInterval: no values');
  const random = seeded(14);
  const medians = new Float64Array(resamples);
  const sample = new Array<number>(xs.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < xs.length; i++) sample[i] = xs[Math.floor(random() * xs.length)]!;
    medians[r] = median(sample);
  }
  medians.sort();
  return [medians[Math.floor(0.025 * resamples)]!, medians[Math.ceil(0.975 * resamples) - 1]!];
}
