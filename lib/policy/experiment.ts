import type { ExperimentPolicy, RampStep } from '../contracts/types.generated.ts';
import type { LearningPolicy } from './policy.ts';

/**
 * What an experiment carries of the agent's policy (learning.experiment.state.v1): the judge decides by this copy, so
 * a later policy change does not move the goalposts of a running experiment, and a decision can be recomputed.
 */
export function experimentPolicy(
  policy: LearningPolicy,
  policyVersion: number,
  riskTier: 'low' | 'medium' | 'high',
): ExperimentPolicy {
  const e = policy.experiment;
  return {
    policyVersion,
    primaryMetric: e.primaryMetric,
    alpha: e.alpha,
    tuningSampleSize: e.tuningSampleSize,
    minimumEffect: e.minimumEffect,
    minRunsPerArm: e.minRunsPerArm,
    minDurationMs: e.minDurationMs,
    maxDurationMs: e.maxDurationMs,
    sustainedMs: e.sustainedMs,
    srmPValue: e.srmPValue,
    guardrails: Object.entries(e.guardrailMargins).map(([metric, margin]) => ({
      metric: metric as ExperimentPolicy['guardrails'][number]['metric'],
      margin,
    })),
    // A low-risk change is low risk only while it costs no more (the plan's rule): its cost margin is a tolerance.
    forbidCostIncrease: riskTier === 'low',
    autoPromote: policy.promotion.autoPromoteLowRisk && riskTier === 'low',
  };
}

export function rampSchedule(policy: LearningPolicy): RampStep[] {
  return policy.experiment.rampBasisPoints.map((candidateBasisPoints) => ({
    candidateBasisPoints,
    minDurationMs: policy.experiment.rampStepMinDurationMs,
    minRunsPerArm: policy.experiment.rampStepMinRunsPerArm,
  }));
}
