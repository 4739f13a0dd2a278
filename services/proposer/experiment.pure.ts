import type { ExperimentPolicy, ExperimentState, RiskTier, TrafficSplit } from '../../lib/contracts/types.generated.ts';
import type { Experiment } from '../../lib/db/schema.ts';
import { experimentActors, experimentStateEvent, runCounts } from '../../lib/experiments/state.pure.ts';
import { rampSchedule } from '../../lib/policy/experiment.ts';
import type { LearningPolicy } from '../../lib/policy/policy.ts';

/**
 * The opening split: in ab mode the candidate gets the ramp's first step and an equal number of buckets is measured as
 * the baseline; in shadow mode nothing is served from the candidate and a sample of baseline runs is also run on it.
 */
export function openingSplit(mode: 'ab' | 'shadow', policy: LearningPolicy): TrafficSplit {
  const first = policy.experiment.rampBasisPoints[0]!;
  return mode === 'ab'
    ? { candidateBasisPoints: first, baselineBasisPoints: first, shadowSampleBasisPoints: 0 }
    : {
        candidateBasisPoints: 0,
        baselineBasisPoints: 0,
        shadowSampleBasisPoints: policy.experiment.shadowSampleBasisPoints,
      };
}

/** The experiment's first state, as the router and the judge read it (version 1, as the row was created). */
export function openingState(input: {
  experiment: Experiment;
  split: TrafficSplit;
  baselineVersionId: string;
  candidateVersionId: string;
  sessionId: string;
  riskTier: RiskTier;
  autoEligible: boolean;
  policy: LearningPolicy;
  judgedBy: ExperimentPolicy;
}): ExperimentState {
  const { experiment } = input;
  return experimentStateEvent({
    experimentId: experiment.id,
    agentId: experiment.agent_id,
    version: experiment.version,
    changedAt: experiment.started_at,
    status: 'running',
    mode: experiment.mode,
    salt: experiment.salt,
    trafficSplit: input.split,
    rampSchedule: rampSchedule(input.policy),
    rampStepIndex: 0,
    proposalId: experiment.proposal_id,
    sessionId: input.sessionId,
    riskTier: input.riskTier,
    autoEligible: input.autoEligible,
    policy: input.judgedBy,
    startedAt: experiment.started_at,
    runCounts: runCounts(experiment.mode, 0, 0),
    changedBy: experimentActors.proposer,
    reason: null,
    baselineVersionId: input.baselineVersionId,
    candidateVersionId: input.candidateVersionId,
  });
}
