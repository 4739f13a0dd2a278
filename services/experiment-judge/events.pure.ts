import type {
  ApprovalRequested,
  ArmSummary,
  ExperimentState,
  ExperimentStatistics,
  ExperimentVerdict,
  VerdictDecision,
  VersionPromoted,
} from '../../lib/contracts/types.generated.ts';
import { versionPromotedEvent } from '../../lib/experiments/promotion.pure.ts';
import { armsOf, experimentActors, experimentStateEvent } from '../../lib/experiments/state.pure.ts';
import { runCountsOf } from './analysis.pure.ts';
import { countedRuns, type DecisionOutcome } from './fold.pure.ts';
import type { ExperimentRecord } from './model.pure.ts';

/**
 * The events the judge publishes, built from a decision outcome. Event ids are derived from the experiment and its
 * version or verdict number, so that the same decision always has the same id.
 */

const reasonText = (outcome: DecisionOutcome) =>
  outcome.judgement.decision.reasons.map((r) => (r.detail ? `${r.code} (${r.detail})` : r.code)).join('; ') || null;

export function verdictEventId(outcome: DecisionOutcome): string {
  return `${outcome.experimentId}:verdict:${outcome.verdictSeq}`;
}

const meanOf = (m: { n: number; sum: number }) => (m.n > 0 ? m.sum / m.n : null);

/** Each arm's counts and means, from the statistics the verdict carries. */
export function armSummaries(statistics: ExperimentStatistics): ArmSummary[] {
  return statistics.arms.map((a) => ({
    arm: a.arm,
    versionId: a.versionId,
    runs: a.failure.n,
    evaluated: a.score.n,
    meanScore: meanOf(a.score),
    failureRate: meanOf(a.failure),
    guardrailHitRate: meanOf(a.guardrailHit),
    meanCostUsd: meanOf(a.costUsd),
  }));
}

/** The verdict, with what a reader charts beside the decision: the same figures as the decision's audit entry. */
export function verdictEvent(outcome: DecisionOutcome): ExperimentVerdict {
  const { before, judgement, inputs } = outcome;
  const { decision, analysis } = judgement;
  return {
    eventId: verdictEventId(outcome),
    experimentId: before.id,
    agentId: before.agentId,
    experimentVersion: before.version,
    decidedAt: new Date(outcome.inputs.now),
    decision: decision.action as VerdictDecision,
    reasons: decision.reasons,
    mode: before.mode,
    riskTier: before.riskTier,
    arms: armsOf(before),
    trafficSplit: before.trafficSplit,
    nextTrafficSplit: decision.nextTrafficSplit,
    statistics: analysis.statistics,
    policy: before.policy,
    sequence: outcome.verdictSeq ?? 0,
    after: countedRuns(inputs.statistics),
    runCounts: runCountsOf(before.mode, inputs.statistics),
    armSummaries: armSummaries(analysis.statistics),
    primaryDetail: analysis.primaryDetail,
    pairs: before.mode === 'shadow' ? { ...inputs.statistics.scorePairs } : null,
  };
}

/** The full state after a change. */
export function stateEvent(outcome: DecisionOutcome, runCounts: ExperimentState['runCounts']): ExperimentState {
  const e: ExperimentRecord = outcome.after;
  return experimentStateEvent({
    experimentId: e.id,
    agentId: e.agentId,
    version: e.version,
    changedAt: new Date(outcome.inputs.now),
    status: e.status,
    mode: e.mode,
    salt: e.salt,
    trafficSplit: e.trafficSplit,
    rampSchedule: e.rampSchedule,
    rampStepIndex: e.rampStepIndex,
    proposalId: e.proposalId,
    sessionId: e.sessionId,
    riskTier: e.riskTier,
    autoEligible: e.autoEligible,
    policy: e.policy,
    startedAt: new Date(e.startedAt),
    runCounts,
    changedBy: experimentActors.judge,
    reason: reasonText(outcome),
    baselineVersionId: e.baselineVersionId,
    candidateVersionId: e.candidateVersionId,
  });
}

export function promotedEvent(outcome: DecisionOutcome, approvalId: string): VersionPromoted {
  const e = outcome.after;
  return versionPromotedEvent(
    {
      agentId: e.agentId,
      previousVersionId: e.baselineVersionId,
      promotedVersionId: e.candidateVersionId,
      promotedAt: new Date(outcome.inputs.now),
      reason: reasonText(outcome),
    },
    {
      by: 'experiment',
      experimentId: e.id,
      proposalId: e.proposalId,
      approvalId,
      riskTier: e.riskTier,
      mode: outcome.judgement.decision.promotionMode === 'manual' ? 'manual' : 'auto',
      approver: outcome.approval?.approver ?? null,
    },
  );
}

/** `sessionStartedBy`: who started the experiment's session by hand (null otherwise), for the four-eyes rule. */
export function approvalRequestedEvent(outcome: DecisionOutcome, sessionStartedBy: string | null): ApprovalRequested {
  const e = outcome.after;
  const pending = e.pendingApproval!;
  return {
    eventId: `${pending.id}:requested`,
    approvalId: pending.id,
    experimentId: e.id,
    experimentVersion: e.version,
    proposalId: e.proposalId,
    agentId: e.agentId,
    requestedAt: new Date(outcome.inputs.now),
    expiresAt: new Date(pending.expiresAt ?? outcome.inputs.now + e.approvalExpiryMs),
    baselineVersionId: e.baselineVersionId,
    candidateVersionId: e.candidateVersionId,
    riskTier: e.riskTier,
    riskReasons: e.riskReasons,
    summary: e.summary,
    verdictEventId: verdictEventId(outcome),
    statistics: outcome.judgement.analysis.statistics,
    policyVersion: e.policy.policyVersion,
    sessionStartedBy,
  };
}
