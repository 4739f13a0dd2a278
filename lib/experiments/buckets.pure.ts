import type { ExperimentMode, TrafficSplit } from '../contracts/types.generated.ts';

/**
 * The bucket layout every service agrees on (docs/router.md): a unit hashes to one of BUCKETS buckets; in ab mode the
 * candidate takes [0, C) and the measured baseline [BASELINE_START, BASELINE_START + B); in shadow mode the sampled
 * units are [0, S). A split is in basis points, one per bucket.
 */

export const BUCKETS = 10_000;
/** Where the measured baseline starts. */
export const BASELINE_START = 5_000;
/** Neither arm may grow past the other's start, so that no schedule of shares can move a unit between arms. */
export const MAX_ARM_BASIS_POINTS = BUCKETS - BASELINE_START;

/**
 * The measured arm of a bucket in ab mode, or null when the bucket is served the live version unmeasured.
 * Raising C or B only takes in buckets that were unmeasured.
 */
export function abArm(
  bucket: number,
  candidateBasisPoints: number,
  baselineBasisPoints: number,
): 'candidate' | 'baseline' | null {
  if (bucket < candidateBasisPoints) return 'candidate';
  if (bucket >= BASELINE_START && bucket < BASELINE_START + baselineBasisPoints) return 'baseline';
  return null;
}

/** Shadow mode: raising S keeps every unit sampled before. */
export function inShadowSample(bucket: number, shadowSampleBasisPoints: number): boolean {
  return bucket < shadowSampleBasisPoints;
}

/** The share of units the candidate sees, in [0, 1] (experiments.candidate_share): served in ab mode, shadowed else. */
export function candidateShare(mode: ExperimentMode, split: TrafficSplit): number {
  return (mode === 'ab' ? split.candidateBasisPoints : split.shadowSampleBasisPoints) / BUCKETS;
}
