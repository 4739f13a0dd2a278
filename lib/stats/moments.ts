import type { Moments } from '../contracts/types.generated.ts';

export type { Moments };

/**
 * Sufficient statistics of a per-run measure: n, Σx, Σx². They merge by addition, so an arm's statistics can be kept
 * as three numbers, updated one event at a time, summed across partitions or replicas, and persisted as they are.
 * A proportion is the same thing over 0/1 values (then Σx² = Σx).
 */
export function emptyMoments(): Moments {
  return { n: 0, sum: 0, sumSquares: 0 };
}

/** The moments with one more observation `x`. */
export function addObservation(m: Moments, x: number): Moments {
  return { n: m.n + 1, sum: m.sum + x, sumSquares: m.sumSquares + x * x };
}

export function mergeMoments(a: Moments, b: Moments): Moments {
  return { n: a.n + b.n, sum: a.sum + b.sum, sumSquares: a.sumSquares + b.sumSquares };
}

/** NaN when there is no observation. */
export function mean(m: Moments): number {
  return m.n > 0 ? m.sum / m.n : Number.NaN;
}

/**
 * The unbiased sample variance, (Σx² − (Σx)²/n) / (n − 1); NaN below two observations. The subtraction can come out a
 * hair below zero for constant data (rounding), which would make a square root NaN: it is clamped at zero.
 */
export function sampleVariance(m: Moments): number {
  if (m.n < 2) return Number.NaN;
  return Math.max(0, (m.sumSquares - (m.sum * m.sum) / m.n) / (m.n - 1));
}

/**
 * The Agresti–Caffo adjustment for a difference of proportions (Agresti & Caffo 2000): one success and one failure
 * added to each arm. With no events in either arm (no failures yet, no guardrail hits) the plain variance is zero and
 * any bound would be exactly zero, "certain" after two runs; the adjusted one stays honest and vanishes as n grows.
 */
export function withAgrestiCaffo(m: Moments): Moments {
  return { n: m.n + 2, sum: m.sum + 1, sumSquares: m.sumSquares + 1 };
}

/**
 * The same idea for paired differences of 0/1 measures (values in {−1, 0, 1}): one pseudo-pair where the candidate is
 * worse and one where it is better, so that a run of identical pairs does not read as zero variance.
 */
export function withPseudoPairs(m: Moments): Moments {
  return { n: m.n + 2, sum: m.sum, sumSquares: m.sumSquares + 2 };
}
