import type {
  ArmRunCounts,
  ArmStatistics,
  ConfidenceSequence,
  ExperimentArm,
  ExperimentMode,
  ExperimentPolicy,
  ExperimentStatistics,
  GuardrailTest,
  Metric,
  PrimaryDetail,
  SrmCheck,
} from '../../lib/contracts/types.generated.ts';
import { runCounts } from '../../lib/experiments/state.pure.ts';
import { chanceToWin } from '../../lib/stats/bayes.ts';
import {
  absoluteDifference,
  alwaysValidPValue,
  confidenceSequence,
  oneSidedHalfWidth,
  pairedDifference,
  relativeDifference,
  type DifferenceEstimate,
} from '../../lib/stats/confidence-sequence.ts';
import { withAgrestiCaffo, withPseudoPairs } from '../../lib/stats/moments.ts';
import { winRate, type PairTally } from '../../lib/stats/pairs.ts';
import { sequentialSampleRatioTest, type SplitPeriod } from '../../lib/stats/srm.ts';
import { emptyArm, measureOf, type ArmMoments, type MeasureSpec } from './measures.pure.ts';

/**
 * Everything the judge accumulates about an experiment's data: plain numbers, JSON as they are, persisted per
 * experiment and copied into every audit entry so that a decision can be recomputed.
 */
export interface SufficientStatistics {
  baseline: ArmMoments;
  /** The candidate arm (ab mode) or the shadow arm (shadow mode). */
  candidate: ArmMoments;
  /** Shadow mode: per measure, the moments of candidate − baseline on the same input (one per complete pair). */
  pairs: ArmMoments;
  /** Shadow mode: wins, losses and ties of the candidate's score against the baseline's on the same input. */
  scorePairs: PairTally;
  /** ab mode: units that entered while each split was in force (a ramp starts a new period). */
  splitPeriods: SplitPeriod[];
}

export function emptySufficientStatistics(): SufficientStatistics {
  return {
    baseline: emptyArm(),
    candidate: emptyArm(),
    pairs: emptyArm(),
    scorePairs: { wins: 0, losses: 0, ties: 0 },
    splitPeriods: [],
  };
}

/** Runs counted per arm: every counted run has its completion counted, once. */
export function runCountsOf(mode: ExperimentMode, s: SufficientStatistics): ArmRunCounts {
  return runCounts(mode, s.baseline.failure.n, s.candidate.failure.n);
}

export interface Analysis {
  statistics: ExperimentStatistics;
  /** What is reported beside the statistics: p-value, chance to win, relative difference, shadow win rate. */
  primaryDetail: PrimaryDetail | null;
  /** The primary metric's sample size per arm (in shadow mode both are the number of pairs). */
  samples: { baseline: number; candidate: number };
}

export interface AnalysisContext {
  mode: ExperimentMode;
  arms: readonly ExperimentArm[];
  policy: ExperimentPolicy;
}

/** The estimate of candidate − baseline for one measure: two independent arms (ab) or pairs (shadow). */
function difference(mode: ExperimentMode, s: SufficientStatistics, spec: MeasureSpec): DifferenceEstimate | null {
  if (mode === 'shadow') {
    const d = s.pairs[spec.measure];
    return pairedDifference(spec.binary ? withPseudoPairs(d) : d);
  }
  const a = s.baseline[spec.measure];
  const b = s.candidate[spec.measure];
  // The adjustment needs data to adjust: an arm with fewer than two runs has no estimate either way.
  if (a.n < 2 || b.n < 2) return null;
  return spec.binary ? absoluteDifference(withAgrestiCaffo(a), withAgrestiCaffo(b)) : absoluteDifference(a, b);
}

function primaryTest(
  ctx: AnalysisContext,
  s: SufficientStatistics,
): { cs: ConfidenceSequence; detail: PrimaryDetail } | null {
  const { policy } = ctx;
  const spec = measureOf(policy.primaryMetric);
  if (!spec) return null;
  const d = difference(ctx.mode, s, spec);
  if (!d) return null;
  const bounds = confidenceSequence(d, policy.alpha, policy.tuningSampleSize);
  // Better: the whole sequence is beyond the minimum effect in the direction of improvement. Worse: the whole
  // sequence is on the wrong side of zero.
  const better = spec.higherIsBetter ? bounds.lower > policy.minimumEffect : bounds.upper < -policy.minimumEffect;
  const worse = spec.higherIsBetter ? bounds.upper < 0 : bounds.lower > 0;
  let relative: PrimaryDetail['relative'] = null;
  if (ctx.mode === 'ab' && !spec.binary) {
    const r = relativeDifference(s.baseline[spec.measure], s.candidate[spec.measure]);
    if (r) {
      const rb = confidenceSequence(r, policy.alpha, policy.tuningSampleSize);
      relative = { estimate: rb.estimate, lower: rb.lower, upper: rb.upper };
    }
  }
  const scoreShadow = ctx.mode === 'shadow' && spec.measure === 'score';
  return {
    cs: {
      metric: policy.primaryMetric,
      estimate: d.estimate,
      lower: bounds.lower,
      upper: bounds.upper,
      alpha: policy.alpha,
      outcome: better ? 'better' : worse ? 'worse' : 'inconclusive',
    },
    detail: {
      metric: policy.primaryMetric,
      higherIsBetter: spec.higherIsBetter,
      pValue: alwaysValidPValue(d, policy.alpha, policy.tuningSampleSize),
      chanceToWin: chanceToWin(d, spec.higherIsBetter),
      relative,
      winRate: scoreShadow && s.pairs.score.n > 0 ? winRate(s.scorePairs) : null,
      pairs: ctx.mode === 'shadow' ? s.pairs[spec.measure].n : null,
    },
  };
}

/**
 * The one-sided non-inferiority test of a guardrail at level α (not corrected for the number of guardrails: the
 * Spotify rule). With Δ the worsening (candidate − baseline for a lower-is-better metric, the reverse otherwise) and
 * w₁ the one-sided half-width: non_inferior when Δ + w₁ < margin (significantly within the margin), regressed when
 * Δ − w₁ > margin (significantly beyond it), else inconclusive. `estimate` is candidate − baseline in the metric's
 * unit; `bound` is the bound that decided: Δ − w₁ when regressed, Δ + w₁ otherwise (both as worsenings). Null until
 * both arms have data.
 */
function guardrailTest(
  ctx: AnalysisContext,
  s: SufficientStatistics,
  metric: Metric,
  margin: number,
): GuardrailTest | null {
  const spec = measureOf(metric);
  if (!spec) return null;
  const d = difference(ctx.mode, s, spec);
  if (!d) return null;
  const w = oneSidedHalfWidth(d, ctx.policy.alpha, ctx.policy.tuningSampleSize);
  const worsening = spec.higherIsBetter ? -d.estimate : d.estimate;
  const regressed = worsening - w > margin;
  const nonInferior = worsening + w < margin;
  return {
    metric,
    margin,
    estimate: d.estimate,
    bound: regressed ? worsening - w : worsening + w,
    outcome: regressed ? 'regressed' : nonInferior ? 'non_inferior' : 'inconclusive',
  };
}

/** Judged only with at least this many units expected in each arm (a handful: the χ² approximation needs it). */
const srmMinimumExpectedUnits = 5;

/**
 * The sample-ratio check, as the judge runs it after every event: the χ² statistic against the configured split (per
 * ramp period), flagged on its always-valid p-value (lib/stats/srm.ts sequentialSampleRatioTest) so that checking it
 * continuously does not raise false alarms. `pValue` is that always-valid p-value.
 */
function srmCheck(ctx: AnalysisContext, s: SufficientStatistics): SrmCheck | null {
  if (ctx.mode !== 'ab') return null;
  const periods = s.splitPeriods.filter((p) => p.baselineShare > 0 && p.candidateShare > 0);
  const result = sequentialSampleRatioTest(periods, ctx.policy.srmPValue, ctx.policy.tuningSampleSize);
  if (!result) return null;
  const expectedCandidates = result.units * result.expectedCandidateShare;
  if (expectedCandidates < srmMinimumExpectedUnits || result.units - expectedCandidates < srmMinimumExpectedUnits)
    return null;
  return {
    expectedCandidateShare: result.expectedCandidateShare,
    chiSquare: result.chiSquare,
    pValue: result.alwaysValidPValue,
    mismatch: result.alwaysValidPValue < ctx.policy.srmPValue,
  };
}

function armStatistics(arm: ExperimentArm | undefined, fallback: ArmStatistics['arm'], m: ArmMoments): ArmStatistics {
  return {
    arm: arm?.arm ?? fallback,
    versionId: arm?.versionId ?? '',
    score: m.score,
    failure: m.failure,
    guardrailHit: m.guardrailHit,
    costUsd: m.costUsd,
  };
}

/** The statistics of an experiment as they stand: a pure function of what was accumulated and the policy. */
export function analyse(ctx: AnalysisContext, s: SufficientStatistics): Analysis {
  const second = ctx.mode === 'shadow' ? 'shadow' : 'candidate';
  const primary = primaryTest(ctx, s);
  const guardrails: GuardrailTest[] = [];
  for (const g of ctx.policy.guardrails) {
    const test = guardrailTest(ctx, s, g.metric, g.margin);
    if (test) guardrails.push(test);
  }
  const spec = measureOf(ctx.policy.primaryMetric);
  const samples = !spec
    ? { baseline: 0, candidate: 0 }
    : ctx.mode === 'shadow'
      ? { baseline: s.pairs[spec.measure].n, candidate: s.pairs[spec.measure].n }
      : { baseline: s.baseline[spec.measure].n, candidate: s.candidate[spec.measure].n };
  return {
    statistics: {
      arms: [
        armStatistics(
          ctx.arms.find((a) => a.arm === 'baseline'),
          'baseline',
          s.baseline,
        ),
        armStatistics(
          ctx.arms.find((a) => a.arm === second),
          second,
          s.candidate,
        ),
      ],
      primary: primary?.cs ?? null,
      guardrails,
      srm: srmCheck(ctx, s),
    },
    primaryDetail: primary?.detail ?? null,
    samples,
  };
}
