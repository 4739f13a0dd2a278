import { mean, sampleVariance, type Moments } from './moments.ts';

/**
 * The asymptotic confidence sequence of Waudby-Smith, Arnold, Wu, Howard and Ramdas, "Time-uniform central limit
 * theory and asymptotic confidence sequences" (Annals of Statistics 2024, arXiv 2103.06476), in the parameterisation
 * GrowthBook and Eppo use. Unlike a fixed-horizon interval it holds simultaneously at every sample size: the chance
 * that it ever excludes the true difference, however often it is looked at, is at most α (asymptotically).
 *
 * Notation (as in docs/statistics.md): n is the total sample size (n_A + n_B, or the number of pairs), SE² the
 * variance of the estimate, s² = SE² · n, N* the tuning sample size (where the sequence is tightest relative to a
 * fixed-horizon interval) and ρ = √((−2 ln α + ln(1 − 2 ln α)) / N*).
 */

/** An estimate of a difference between arms, with what the sequence needs to bound it. */
export interface DifferenceEstimate {
  /** candidate − baseline, or (candidate − baseline) / baseline for a relative difference. */
  estimate: number;
  /** SE²: the variance of the estimate. */
  variance: number;
  /** The total sample size behind it: n_A + n_B, or the number of pairs. */
  n: number;
}

export interface Bounds {
  estimate: number;
  lower: number;
  upper: number;
  halfWidth: number;
}

function checkParameters(alpha: number, tuningSampleSize: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), not ${alpha}`);
  if (!(tuningSampleSize > 0) || !Number.isFinite(tuningSampleSize))
    throw new RangeError(`the tuning sample size must be positive, not ${tuningSampleSize}`);
}

/** Two independent arms: the difference of means and SE² = s²_A/n_A + s²_B/n_B. Null until each arm has two observations. */
export function absoluteDifference(baseline: Moments, candidate: Moments): DifferenceEstimate | null {
  if (baseline.n < 2 || candidate.n < 2) return null;
  return {
    estimate: mean(candidate) - mean(baseline),
    variance: sampleVariance(baseline) / baseline.n + sampleVariance(candidate) / candidate.n,
    n: baseline.n + candidate.n,
  };
}

/**
 * The relative difference (μ_B − μ_A) / μ_A by the delta method:
 * SE² ≈ s²_B / (n_B μ_A²) + μ_B² s²_A / (n_A μ_A⁴). Null when the baseline mean is zero (no relative change defined).
 */
export function relativeDifference(baseline: Moments, candidate: Moments): DifferenceEstimate | null {
  if (baseline.n < 2 || candidate.n < 2) return null;
  const muA = mean(baseline);
  const muB = mean(candidate);
  if (muA === 0) return null;
  return {
    estimate: (muB - muA) / muA,
    variance:
      sampleVariance(candidate) / (candidate.n * muA * muA) +
      (muB * muB * sampleVariance(baseline)) / (baseline.n * muA ** 4),
    n: baseline.n + candidate.n,
  };
}

/**
 * The one-sample version, for shadow pairs: `differences` are the moments of candidate − baseline on the same input,
 * so the estimate is their mean, SE² = s²_d / n and n is the number of pairs (hence s² = SE² · n = s²_d).
 */
export function pairedDifference(differences: Moments): DifferenceEstimate | null {
  if (differences.n < 2) return null;
  return { estimate: mean(differences), variance: sampleVariance(differences) / differences.n, n: differences.n };
}

// The judge computes several sequences per event at a few (α, N*) pairs (the policy's α, the SRM threshold): ρ is
// kept per pair. Bounded, since the pairs come from policies.
const rhoCache = new Map<number, Map<number, number>>();

export function tuningRho(alpha: number, tuningSampleSize: number): number {
  const cached = rhoCache.get(alpha)?.get(tuningSampleSize);
  if (cached !== undefined) return cached;
  checkParameters(alpha, tuningSampleSize);
  const l = -2 * Math.log(alpha);
  const rho = Math.sqrt((l + Math.log(1 + l)) / tuningSampleSize);
  if (rhoCache.size >= 64) rhoCache.clear();
  let byTuning = rhoCache.get(alpha);
  if (!byTuning) rhoCache.set(alpha, (byTuning = new Map()));
  if (byTuning.size >= 64) byTuning.clear();
  byTuning.set(tuningSampleSize, rho);
  return rho;
}

/** 2(nρ² + 1) / (n²ρ²): the factor both half-widths share. */
function spread(n: number, rho: number): number {
  const r2 = rho * rho;
  return (2 * (n * r2 + 1)) / (n * n * r2);
}

/** √s² · √(2(nρ² + 1)/(n²ρ²) · ln(√(nρ² + 1)/α)). */
export function twoSidedHalfWidth(d: DifferenceEstimate, alpha: number, tuningSampleSize: number): number {
  const rho = tuningRho(alpha, tuningSampleSize);
  const s2 = d.variance * d.n;
  return Math.sqrt(s2) * Math.sqrt(spread(d.n, rho) * Math.log(Math.sqrt(d.n * rho * rho + 1) / alpha));
}

/** √(s² · 2(nρ² + 1)/(n²ρ²) · ln(1 + √(nρ² + 1)/(2α))): a bound on one side only, at level α. */
export function oneSidedHalfWidth(d: DifferenceEstimate, alpha: number, tuningSampleSize: number): number {
  const rho = tuningRho(alpha, tuningSampleSize);
  const s2 = d.variance * d.n;
  return Math.sqrt(s2 * spread(d.n, rho) * Math.log(1 + Math.sqrt(d.n * rho * rho + 1) / (2 * alpha)));
}

/** The two-sided confidence sequence at this sample size. */
export function confidenceSequence(d: DifferenceEstimate, alpha: number, tuningSampleSize: number): Bounds {
  const halfWidth = twoSidedHalfWidth(d, alpha, tuningSampleSize);
  return { estimate: d.estimate, lower: d.estimate - halfWidth, upper: d.estimate + halfWidth, halfWidth };
}

/** The one-sided upper bound: the difference is below it at every sample size, except with probability α. */
export function upperBound(d: DifferenceEstimate, alpha: number, tuningSampleSize: number): number {
  return d.estimate + oneSidedHalfWidth(d, alpha, tuningSampleSize);
}

/** The one-sided lower bound. */
export function lowerBound(d: DifferenceEstimate, alpha: number, tuningSampleSize: number): number {
  return d.estimate - oneSidedHalfWidth(d, alpha, tuningSampleSize);
}

/**
 * The always-valid p-value of "no difference" from the same mixture, with ρ fixed by (α, N*): the smallest level at
 * which the two-sided sequence excludes zero. Setting the half-width equal to |estimate| and solving for the level:
 * p = min(1, √(nρ² + 1) · exp(−estimate² n² ρ² / (2 s² (nρ² + 1)))), the reciprocal of the mixture likelihood ratio.
 * So p ≤ α exactly when the α-level sequence excludes zero.
 */
export function alwaysValidPValue(d: DifferenceEstimate, alpha: number, tuningSampleSize: number): number {
  const rho = tuningRho(alpha, tuningSampleSize);
  const s2 = d.variance * d.n;
  if (s2 === 0) return d.estimate === 0 ? 1 : 0;
  const nr2 = d.n * rho * rho;
  const exponent = -(d.estimate * d.estimate * d.n * nr2) / (2 * s2 * (nr2 + 1));
  return Math.min(1, Math.sqrt(nr2 + 1) * Math.exp(exponent));
}
