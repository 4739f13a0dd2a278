import type { RunCompleted, RunEvaluated, TrafficSplit } from '../../lib/contracts/types.generated.ts';
import { tallyPair } from '../../lib/stats/pairs.ts';
import type { SufficientStatistics } from './analysis.pure.ts';
import type { MeasureName } from './measures.pure.ts';

/**
 * Folding observations into an experiment's sufficient statistics. These functions update `s` in place: the judge
 * folds thousands of events per second into one object per experiment, and copying it per event would be most of the
 * cost. Whoever holds `s` owns it; nothing else keeps a reference.
 */

/** The completion's contribution: 0/1 failure and guardrail hit, cost and latency. */
export interface CompletionValues {
  failure: number;
  guardrailHit: number;
  costUsd: number;
  latencyMs: number;
}

/** The evaluation's contribution: score and 0/1 pass. */
export interface EvaluationValues {
  score: number;
  passed: number;
}

export type Side = 'baseline' | 'candidate';

export function completionValues(
  run: Pick<RunCompleted, 'status' | 'guardrailHits' | 'costUsd' | 'latencyMs'>,
): CompletionValues {
  return {
    failure: run.status === 'succeeded' ? 0 : 1,
    guardrailHit: run.guardrailHits.length > 0 ? 1 : 0,
    costUsd: run.costUsd,
    latencyMs: run.latencyMs,
  };
}

export function evaluationValues(evaluation: Pick<RunEvaluated, 'score' | 'passed'>): EvaluationValues {
  return { score: evaluation.score, passed: evaluation.passed ? 1 : 0 };
}

function add(s: SufficientStatistics, side: Side | 'pairs', measure: MeasureName, x: number): void {
  const m = s[side][measure];
  m.n += 1;
  m.sum += x;
  m.sumSquares += x * x;
}

export function addCompletion(s: SufficientStatistics, side: Side, v: CompletionValues): void {
  add(s, side, 'failure', v.failure);
  add(s, side, 'guardrailHit', v.guardrailHit);
  add(s, side, 'costUsd', v.costUsd);
  add(s, side, 'latencyMs', v.latencyMs);
}

export function addEvaluation(s: SufficientStatistics, side: Side, v: EvaluationValues): void {
  add(s, side, 'score', v.score);
  add(s, side, 'passed', v.passed);
}

/** Shadow mode: both completions of one input are in; their differences (candidate − baseline) make one pair. */
export function addCompletionPair(
  s: SufficientStatistics,
  baseline: CompletionValues,
  candidate: CompletionValues,
): void {
  add(s, 'pairs', 'failure', candidate.failure - baseline.failure);
  add(s, 'pairs', 'guardrailHit', candidate.guardrailHit - baseline.guardrailHit);
  add(s, 'pairs', 'costUsd', candidate.costUsd - baseline.costUsd);
  add(s, 'pairs', 'latencyMs', candidate.latencyMs - baseline.latencyMs);
}

export function addEvaluationPair(
  s: SufficientStatistics,
  baseline: EvaluationValues,
  candidate: EvaluationValues,
): void {
  add(s, 'pairs', 'score', candidate.score - baseline.score);
  add(s, 'pairs', 'passed', candidate.passed - baseline.passed);
  s.scorePairs = tallyPair(s.scorePairs, candidate.score, baseline.score);
}

/**
 * A unit seen for the first time in this experiment, while the ramp step `period` was in force with `split`: the
 * sample-ratio test compares the units per arm with each period's measured shares.
 */
export function addUnit(s: SufficientStatistics, side: Side, period: number, split: TrafficSplit): void {
  while (s.splitPeriods.length <= period)
    s.splitPeriods.push({
      baseline: 0,
      candidate: 0,
      baselineShare: split.baselineBasisPoints,
      candidateShare: split.candidateBasisPoints,
    });
  const p = s.splitPeriods[period]!;
  p[side] += 1;
}
