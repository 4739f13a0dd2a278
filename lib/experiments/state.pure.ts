import type { ArmRunCounts, ExperimentArm, ExperimentMode, ExperimentState } from '../contracts/types.generated.ts';

/**
 * learning.experiment.state.v1, built in one place for every service that changes an experiment (the proposer opens
 * it, the judge ramps and ends it, the control plane pauses and resumes it). The topic is compacted and each event
 * must stand alone: every one carries the full state.
 */

/** Who changes experiments: `changedBy` of their states, and the actor of their audit entries. */
export const experimentActors = {
  proposer: 'proposer',
  judge: 'experiment-judge',
  controlPlane: 'control-plane',
} as const;

/** The state event of an experiment's version: the same version always has the same id, whoever publishes it. */
const stateEventId = (experimentId: string, version: number) => `${experimentId}:state:${version}`;

/** The two arms: baseline, and candidate (ab mode) or shadow (shadow mode). */
export function armsOf(e: {
  mode: ExperimentMode;
  baselineVersionId: string;
  candidateVersionId: string;
}): ExperimentArm[] {
  return [
    { arm: 'baseline', versionId: e.baselineVersionId },
    { arm: e.mode === 'shadow' ? 'shadow' : 'candidate', versionId: e.candidateVersionId },
  ];
}

/** Runs counted per arm, from the runs of the baseline and of the other arm (the candidate's, or the shadow's). */
export function runCounts(mode: ExperimentMode, baselineRuns: number, treatedRuns: number): ArmRunCounts {
  return {
    baseline: baselineRuns,
    candidate: mode === 'ab' ? treatedRuns : 0,
    shadow: mode === 'shadow' ? treatedRuns : 0,
  };
}

/** What a state says, less what follows from it: its id, its arms (from the versions) and its deadline. */
export type ExperimentStateFacts = Omit<ExperimentState, 'eventId' | 'arms' | 'deadlineAt'> & {
  baselineVersionId: string;
  candidateVersionId: string;
};

export function experimentStateEvent(facts: ExperimentStateFacts): ExperimentState {
  const { baselineVersionId, candidateVersionId, ...state } = facts;
  return {
    eventId: stateEventId(facts.experimentId, facts.version),
    ...state,
    arms: armsOf({ mode: facts.mode, baselineVersionId, candidateVersionId }),
    deadlineAt: new Date(facts.startedAt.getTime() + facts.policy.maxDurationMs),
  };
}
