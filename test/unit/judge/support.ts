import type {
  ConfidenceSequence,
  ExperimentPolicy,
  GuardrailTest,
  SrmCheck,
} from '../../../lib/contracts/types.generated.ts';
import { experimentPolicy } from '../../../lib/policy/experiment.ts';
import { defaultPolicy } from '../../../lib/policy/policy.ts';
import type { Analysis } from '../../../services/experiment-judge/analysis.pure.ts';
import type { DecisionInput, ExperimentView, JudgeMemory } from '../../../services/experiment-judge/decision.pure.ts';

/** Hand-made decision inputs for the decision table: every test starts from "everything passes" and breaks one thing. */

export const hour = 3_600_000;
export const t0 = Date.UTC(2026, 2, 1);

/** The central defaults as an experiment carries them: low risk, with auto-promotion allowed. */
export const policy: ExperimentPolicy = experimentPolicy(
  { ...defaultPolicy, promotion: { ...defaultPolicy.promotion, autoPromoteLowRisk: true } },
  4,
  'low',
);

export const experiment: ExperimentView = {
  experimentId: 'exp-1',
  status: 'running',
  mode: 'ab',
  riskTier: 'low',
  autoEligible: true,
  startedAt: t0,
  trafficSplit: { candidateBasisPoints: 500, baselineBasisPoints: 500, shadowSampleBasisPoints: 0 },
  rampSchedule: [
    { candidateBasisPoints: 500, minDurationMs: hour, minRunsPerArm: 100 },
    { candidateBasisPoints: 1000, minDurationMs: hour, minRunsPerArm: 100 },
    { candidateBasisPoints: 2500, minDurationMs: hour, minRunsPerArm: 100 },
  ],
  rampStepIndex: 0,
  approvalExpiresAt: null,
};

export const memory: JudgeMemory = {
  primaryBetterSince: null,
  rampStepStartedAt: t0,
  stepRuns: { baseline: 0, candidate: 0 },
  srmPaused: false,
};

export function guardrail(
  metric: GuardrailTest['metric'],
  outcome: GuardrailTest['outcome'],
  estimate = 0,
): GuardrailTest {
  const margin = policy.guardrails.find((g) => g.metric === metric)?.margin ?? 0;
  return {
    metric,
    margin,
    estimate,
    bound: outcome === 'non_inferior' ? margin / 2 : outcome === 'regressed' ? margin * 2 : margin * 1.5,
    outcome,
  };
}

export const passingGuardrails = (): GuardrailTest[] =>
  policy.guardrails.map((g) => guardrail(g.metric, 'non_inferior'));

export const betterPrimary: ConfidenceSequence = {
  metric: 'score',
  estimate: 0.05,
  lower: 0.01,
  upper: 0.09,
  alpha: 0.05,
  outcome: 'better',
};
export const inconclusivePrimary: ConfidenceSequence = {
  metric: 'score',
  estimate: 0.01,
  lower: -0.02,
  upper: 0.04,
  alpha: 0.05,
  outcome: 'inconclusive',
};
export const worsePrimary: ConfidenceSequence = {
  metric: 'score',
  estimate: -0.05,
  lower: -0.09,
  upper: -0.01,
  alpha: 0.05,
  outcome: 'worse',
};
export const healthySrm: SrmCheck = { expectedCandidateShare: 0.5, chiSquare: 0.3, pValue: 1, mismatch: false };
export const mismatchedSrm: SrmCheck = { expectedCandidateShare: 0.5, chiSquare: 80, pValue: 1e-6, mismatch: true };

export function analysis(
  overrides: Partial<Analysis['statistics']> & { samples?: Analysis['samples'] } = {},
): Analysis {
  const { samples, ...statistics } = overrides;
  return {
    statistics: { arms: [], primary: betterPrimary, guardrails: passingGuardrails(), srm: healthySrm, ...statistics },
    primaryDetail: null,
    samples: samples ?? { baseline: 2000, candidate: 2000 },
  };
}

/** Two days in, better for seven hours, 2,000 runs per arm, every guardrail within its margin: promotable. */
export function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    experiment,
    memory: { ...memory, primaryBetterSince: t0 + 41 * hour },
    policy,
    analysis: analysis(),
    now: t0 + 48 * hour,
    ...overrides,
  };
}
