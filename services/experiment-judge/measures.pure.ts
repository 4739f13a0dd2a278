import type { Metric, Moments } from '../../lib/contracts/types.generated.ts';
import { emptyMoments } from '../../lib/stats/moments.ts';

/**
 * The per-run measures the judge keeps moments of, and how the policy's metrics map onto them. A run contributes its
 * score and pass from its evaluation, the rest from its completion.
 */
export const measureNames = ['score', 'passed', 'failure', 'guardrailHit', 'costUsd', 'latencyMs'] as const;
export type MeasureName = (typeof measureNames)[number];

/** One arm's moments, per measure. */
export type ArmMoments = Record<MeasureName, Moments>;

export function emptyArm(): ArmMoments {
  return {
    score: emptyMoments(),
    passed: emptyMoments(),
    failure: emptyMoments(),
    guardrailHit: emptyMoments(),
    costUsd: emptyMoments(),
    latencyMs: emptyMoments(),
  };
}

export interface MeasureSpec {
  measure: MeasureName;
  /** Whether a larger value is an improvement (score, pass rate) or a worsening (failures, cost, latency). */
  higherIsBetter: boolean;
  /** 0/1 per run: its difference gets the Agresti–Caffo adjustment (lib/stats/moments.ts). */
  binary: boolean;
}

/**
 * The metrics the judge can test. `latency_p95_ms` is tested on the mean latency: a 95th percentile is not a mean of
 * per-run values, so it has no sufficient statistics; its margin (ms) is applied to the difference of means. The rest
 * (tool_error_rate, negative_feedback_rate) are not measured per run the judge's way: a guardrail on one of them stays
 * inconclusive, which blocks promotion rather than passing silently.
 */
const specs: Partial<Record<Metric, MeasureSpec>> = {
  score: { measure: 'score', higherIsBetter: true, binary: false },
  pass_rate: { measure: 'passed', higherIsBetter: true, binary: true },
  failure_rate: { measure: 'failure', higherIsBetter: false, binary: true },
  guardrail_hit_rate: { measure: 'guardrailHit', higherIsBetter: false, binary: true },
  cost_per_run: { measure: 'costUsd', higherIsBetter: false, binary: false },
  latency_p95_ms: { measure: 'latencyMs', higherIsBetter: false, binary: false },
};

export function measureOf(metric: Metric): MeasureSpec | undefined {
  return specs[metric];
}
