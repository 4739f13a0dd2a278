import type {
  Arm,
  ExperimentMode,
  ExperimentPolicy,
  ExperimentStatus,
  RampStep,
  RiskReason,
  RiskTier,
  TrafficSplit,
} from '../../lib/contracts/types.generated.ts';
import type { CompletionValues, EvaluationValues } from './accumulate.pure.ts';
import { emptySufficientStatistics, type SufficientStatistics } from './analysis.pure.ts';
import type { ExperimentView, JudgeMemory } from './decision.pure.ts';

/** An experiment as the judge holds it during a batch: its row, its proposal's facts, its pending approval. */
export interface ExperimentRecord {
  id: string;
  agentId: string;
  proposalId: string;
  sessionId: string | null;
  mode: ExperimentMode;
  status: ExperimentStatus;
  /** The row's version: every change the judge makes is an update at this version (the version check, docs/data-model.md). */
  version: number;
  salt: string;
  trafficSplit: TrafficSplit;
  rampSchedule: RampStep[];
  rampStepIndex: number;
  policy: ExperimentPolicy;
  startedAt: number;
  riskTier: RiskTier;
  autoEligible: boolean;
  baselineVersionId: string;
  candidateVersionId: string;
  riskReasons: RiskReason[];
  summary: string;
  /** How long an approval request stays open (the agent's policy: promotion.approvalExpiryMs). */
  approvalExpiryMs: number;
  /** The request an experiment awaiting approval waits on; `decided`: answered in the database, its event not yet seen. */
  pendingApproval: { id: string; expiresAt: number | null; decided: boolean } | null;
  /** The row carries no policy: `policy` and `rampSchedule` were derived from the agent's (JudgeState.derived). */
  derivedPolicy?: boolean;
}

/** What the judge persists per experiment (judge_experiments.state), as JSON. */
export interface JudgeState {
  statistics: SufficientStatistics;
  memory: JudgeMemory;
  /**
   * The judge's clock for the experiment (epoch ms): the latest event time of a counted observation of the primary
   * metric's source (evaluations for score and pass rate, completions otherwise). Data time, not arrival time: a
   * replay of the same events makes the same decisions, and a topic that runs ahead of the others in a catch-up (the
   * router's records come first) cannot make the data look older than it is. Durations and the sustained period are
   * measured on it.
   */
  clock: number;
  /** The evaluator whose scores count: the first one seen (one score per run and arm, comparable across arms). */
  evaluatorId: string | null;
  /** The decision and reason codes of the last verdict published: a verdict is published when they change. */
  lastVerdict: string | null;
  verdictSeq: number;
  /** Runs counted when the last verdict was published (absent in states stored before growth verdicts: 0). */
  verdictRuns?: number;
  /** Observations ignored, by reason (unassigned, version_mismatch, arm_mismatch, other_evaluator, ...). */
  ignored: Record<string, number>;
  /**
   * For an experiment whose row carries no policy (a proposer that does not store it yet): the policy and ramp
   * schedule derived from the agent's policy when the judge first saw it, kept so that they cannot change under it.
   */
  derived?: { policy: ExperimentPolicy; rampSchedule: RampStep[] };
}

export function newJudgeState(startedAt: number): JudgeState {
  return {
    statistics: emptySufficientStatistics(),
    memory: {
      primaryBetterSince: null,
      rampStepStartedAt: startedAt,
      stepRuns: { baseline: 0, candidate: 0 },
      srmPaused: false,
    },
    clock: startedAt,
    evaluatorId: null,
    lastVerdict: null,
    verdictSeq: 0,
    verdictRuns: 0,
    ignored: {},
  };
}

/** parked: waiting for the router's record; counted; ignored (with the reason tallied in JudgeState.ignored). */
export type ObservationState = 'parked' | 'counted' | 'ignored';
export type CompletionObservation = CompletionValues & { versionId: string; at: number; state: ObservationState };
export type EvaluationObservation = EvaluationValues & {
  evaluatorId: string;
  versionId: string;
  at: number;
  state: ObservationState;
};

/** A run in an arm of an experiment (judge_runs): the router's assignment and what was observed of the run. */
export interface RunRecord {
  experimentId: string;
  runId: string;
  arm: Arm;
  assigned: boolean;
  /** The version the router assigned (null until its record arrives). */
  versionId: string | null;
  completion: CompletionObservation | null;
  evaluation: EvaluationObservation | null;
}

export const runKey = (experimentId: string, runId: string, arm: Arm) => `${experimentId}\u0000${runId}\u0000${arm}`;
export const unitKey = (experimentId: string, unit: string) => `${experimentId}\u0000${unit}`;

export function viewOf(e: ExperimentRecord): ExperimentView {
  return {
    experimentId: e.id,
    status: e.status,
    mode: e.mode,
    riskTier: e.riskTier,
    autoEligible: e.autoEligible,
    startedAt: e.startedAt,
    trafficSplit: e.trafficSplit,
    rampSchedule: e.rampSchedule,
    rampStepIndex: e.rampStepIndex,
    // An answered request cannot expire: its answer is on its way.
    approvalExpiresAt:
      e.status === 'awaiting_approval' && e.pendingApproval && !e.pendingApproval.decided
        ? e.pendingApproval.expiresAt
        : null,
  };
}
