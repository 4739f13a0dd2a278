import type {
  ApprovalDecided,
  ApprovalSource,
  Arm,
  ExperimentMode,
  RunAssigned,
  RunCompleted,
  RunEvaluated,
} from '../../lib/contracts/types.generated.ts';
import { armsOf } from '../../lib/experiments/state.pure.ts';
import { isActive, isAssigning } from '../../lib/experiments/status.pure.ts';
import type { ConsumedEvent } from '../../lib/kafka/batch.ts';
import {
  addCompletion,
  addCompletionPair,
  addEvaluation,
  addEvaluationPair,
  addUnit,
  completionValues,
  evaluationValues,
  type Side,
} from './accumulate.pure.ts';
import type { ApprovalInput } from './decision.pure.ts';
import { evaluate, type JudgeInputs, type Judgement } from './evaluate.pure.ts';
import { measureOf } from './measures.pure.ts';
import { runKey, unitKey, viewOf, type ExperimentRecord, type JudgeState, type RunRecord } from './model.pure.ts';

/**
 * The judge's logic over a batch of events, with no I/O: what the handler loaded (experiments, their judge state, the
 * runs and units the events name, the approvals they answer) goes in as a World; the events are folded into it in
 * order, the experiment is analysed and decided on after every event, and what must be written and published comes
 * out as DecisionOutcomes, in order. The World is updated in place (the handler persists what `changes` names).
 */

export interface ApprovalRecord {
  id: string;
  experimentId: string;
  decision: 'approved' | 'rejected' | 'auto_approved' | null;
  approver: string | null;
}

export interface World {
  experiments: Map<string, ExperimentRecord>;
  judges: Map<string, JudgeState>;
  runs: Map<string, RunRecord>;
  /** Units seen per experiment (unitKey → the arm first seen in). */
  units: Map<string, Arm>;
  approvals: Map<string, ApprovalRecord>;
}

/** What the fold changed: the rows to write back. */
export interface Changes {
  runs: Set<string>;
  units: Set<string>;
  judges: Set<string>;
}

export interface DecisionOutcome {
  experimentId: string;
  /** The event whose analysis produced it. */
  causeEventId: string;
  /** A copy of everything the decision was computed from (the audit entry's payload). */
  inputs: JudgeInputs;
  judgement: Judgement;
  /** The experiment as it was decided on, and after the decision (same version when nothing changed). */
  before: ExperimentRecord;
  after: ExperimentRecord;
  /** Set when this outcome publishes a verdict (a change of decision). */
  verdictSeq: number | null;
  /** Set when the decision answers learning.approval.decided.v1; `record`: the approvals row is still pending. */
  approval: {
    id: string;
    decision: 'approved' | 'rejected';
    approver: string | null;
    source: ApprovalSource;
    record: boolean;
  } | null;
}

/** Counts of what happened to each event, for metrics: `<kind>:<outcome>`. */
export type Tally = Map<string, number>;

function count(tally: Tally, key: string): void {
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

function fitsMode(mode: ExperimentMode, arm: Arm): boolean {
  return arm === 'baseline' || (mode === 'ab' ? arm === 'candidate' : arm === 'shadow');
}

const sideOf = (arm: Arm): Side => (arm === 'baseline' ? 'baseline' : 'candidate');
const partnerOf = (arm: Arm, mode: ExperimentMode): Arm =>
  arm !== 'baseline' ? 'baseline' : mode === 'shadow' ? 'shadow' : 'candidate';

function ignore(judge: JudgeState, tally: Tally, kind: string, reason: string): void {
  judge.ignored[reason] = (judge.ignored[reason] ?? 0) + 1;
  count(tally, `${kind}:${reason}`);
}

/** A verdict is published when its decision or its reason codes change (details, such as counts, change constantly). */
function verdictKey(judgement: Judgement): string {
  return `${judgement.decision.action}:${judgement.decision.reasons.map((r) => r.code).join(',')}`;
}

/** Growth verdicts: at least this many more runs, and at least this share more, than at the last verdict. */
export const verdictGrowth = { minimumRuns: 50, factor: 1.1 } as const;

/**
 * Whether a running experiment's data has grown enough since the last verdict to publish another (same decision): the
 * points of the confidence sequence a reader charts over time. Not while it waits for a person: it is decided then.
 */
export function dataGrown(runs: number, runsAtLastVerdict: number): boolean {
  return runs >= Math.max(runsAtLastVerdict * verdictGrowth.factor, runsAtLastVerdict + verdictGrowth.minimumRuns);
}

/** Runs counted over all arms: every counted run has its completion counted, once. */
export const countedRuns = (s: JudgeState['statistics']): number => s.baseline.failure.n + s.candidate.failure.n;

export interface Fold {
  world: World;
  changes: Changes;
  outcomes: DecisionOutcome[];
  tally: Tally;
}

export function newFold(world: World): Fold {
  return { world, changes: { runs: new Set(), units: new Set(), judges: new Set() }, outcomes: [], tally: new Map() };
}

/** Analyse and decide; record an outcome when the decision changes the experiment or the published verdict. */
function judgeExperiment(
  fold: Fold,
  experiment: ExperimentRecord,
  judge: JudgeState,
  causeEventId: string,
  now: number = judge.clock,
  approval?: DecisionOutcome['approval'],
): void {
  if (!isAssigning(experiment.status)) return;
  const approvalInput: ApprovalInput | undefined = approval
    ? { decision: approval.decision, approver: approval.approver }
    : undefined;
  const inputs: JudgeInputs = {
    experiment: viewOf(experiment),
    memory: judge.memory,
    policy: experiment.policy,
    arms: armsOf(experiment),
    statistics: judge.statistics,
    now,
    ...(approvalInput ? { approval: approvalInput } : {}),
  };
  const judgement = evaluate(inputs);
  const { decision } = judgement;
  judge.memory = decision.memory;
  const changesState = decision.status !== experiment.status || decision.nextTrafficSplit !== null;
  const key = verdictKey(judgement);
  const runs = countedRuns(judge.statistics);
  const grown =
    experiment.status === 'running' && decision.status === 'running' && dataGrown(runs, judge.verdictRuns ?? 0);
  const publishes = decision.action !== 'reject' && (changesState || key !== judge.lastVerdict || grown);
  if (!changesState && !publishes) return;

  const before = structuredClone(experiment);
  if (publishes) {
    judge.verdictSeq += 1;
    judge.lastVerdict = key;
    judge.verdictRuns = runs;
  }
  if (changesState) {
    experiment.version += 1;
    experiment.status = decision.status;
    if (decision.nextTrafficSplit) experiment.trafficSplit = decision.nextTrafficSplit;
    if (decision.nextRampStepIndex !== null) experiment.rampStepIndex = decision.nextRampStepIndex;
    if (decision.action === 'request_approval') {
      experiment.pendingApproval = {
        id: `${experiment.id}:approval:${judge.verdictSeq}`,
        expiresAt: inputs.now + experiment.approvalExpiryMs,
        decided: false,
      };
    } else if (decision.status !== 'awaiting_approval') {
      experiment.pendingApproval = null;
    }
  }
  fold.outcomes.push({
    experimentId: experiment.id,
    causeEventId,
    inputs: structuredClone(inputs),
    judgement: structuredClone(judgement),
    before,
    after: structuredClone(experiment),
    verdictSeq: publishes ? judge.verdictSeq : null,
    approval: approval ?? null,
  });
}

/** The experiment an event names, if the judge should look at it; tallies why not otherwise. */
function experimentFor(
  fold: Fold,
  kind: string,
  experimentId: string,
): { experiment: ExperimentRecord; judge: JudgeState } | null {
  const experiment = fold.world.experiments.get(experimentId);
  if (!experiment) {
    count(fold.tally, `${kind}:unknown_experiment`);
    return null;
  }
  if (!isActive(experiment.status)) {
    count(fold.tally, `${kind}:experiment_ended`);
    return null;
  }
  fold.changes.judges.add(experimentId);
  return { experiment, judge: fold.world.judges.get(experimentId)! };
}

function runFor(fold: Fold, experimentId: string, runId: string, arm: Arm): RunRecord {
  const key = runKey(experimentId, runId, arm);
  let run = fold.world.runs.get(key);
  if (!run) {
    run = { experimentId, runId, arm, assigned: false, versionId: null, completion: null, evaluation: null };
    fold.world.runs.set(key, run);
  }
  fold.changes.runs.add(key);
  return run;
}

/** Whether the primary metric is measured on evaluations (score, pass rate) or on completions. */
function primaryFromEvaluations(experiment: ExperimentRecord): boolean {
  const measure = measureOf(experiment.policy.primaryMetric)?.measure;
  return measure === 'score' || measure === 'passed';
}

function advance(judge: JudgeState, at: number): void {
  judge.clock = Math.max(judge.clock, at);
}

/** Counts a run's completion now that the router's record is there (the record is the authority on its arm and version). */
function countCompletion(
  fold: Fold,
  experiment: ExperimentRecord,
  judge: JudgeState,
  run: RunRecord,
  outcome: string,
): void {
  const observation = run.completion!;
  if (observation.versionId !== run.versionId) {
    observation.state = 'ignored';
    ignore(judge, fold.tally, 'completion', 'version_mismatch');
    return;
  }
  observation.state = 'counted';
  count(fold.tally, `completion:${outcome}`);
  if (!primaryFromEvaluations(experiment)) advance(judge, observation.at);
  const side = sideOf(run.arm);
  addCompletion(judge.statistics, side, observation);
  if (experiment.mode === 'ab') {
    const stepRuns = judge.memory.stepRuns;
    judge.memory = { ...judge.memory, stepRuns: { ...stepRuns, [side]: stepRuns[side] + 1 } };
    return;
  }
  const partner = fold.world.runs.get(
    runKey(experiment.id, run.runId, partnerOf(run.arm, experiment.mode)),
  )?.completion;
  if (partner?.state !== 'counted') return;
  const [baseline, shadow] = run.arm === 'baseline' ? [observation, partner] : [partner, observation];
  addCompletionPair(judge.statistics, baseline, shadow);
}

function countEvaluation(
  fold: Fold,
  experiment: ExperimentRecord,
  judge: JudgeState,
  run: RunRecord,
  outcome: string,
): void {
  const observation = run.evaluation!;
  if (observation.versionId !== run.versionId) {
    observation.state = 'ignored';
    ignore(judge, fold.tally, 'evaluation', 'version_mismatch');
    return;
  }
  observation.state = 'counted';
  count(fold.tally, `evaluation:${outcome}`);
  if (primaryFromEvaluations(experiment)) advance(judge, observation.at);
  addEvaluation(judge.statistics, sideOf(run.arm), observation);
  if (experiment.mode !== 'shadow') return;
  const partner = fold.world.runs.get(
    runKey(experiment.id, run.runId, partnerOf(run.arm, experiment.mode)),
  )?.evaluation;
  if (partner?.state !== 'counted') return;
  const [baseline, shadow] = run.arm === 'baseline' ? [observation, partner] : [partner, observation];
  addEvaluationPair(judge.statistics, baseline, shadow);
}

function onAssigned(fold: Fold, event: ConsumedEvent, a: RunAssigned): void {
  const found = experimentFor(fold, 'assignment', a.experimentId);
  if (!found) return;
  const { experiment, judge } = found;
  if (!fitsMode(experiment.mode, a.arm)) {
    ignore(judge, fold.tally, 'assignment', 'arm_mismatch');
    return;
  }
  const run = runFor(fold, experiment.id, a.runId, a.arm);
  if (run.assigned) {
    count(fold.tally, 'assignment:duplicate');
    return;
  }
  run.assigned = true;
  run.versionId = a.versionId;
  count(fold.tally, 'assignment:recorded');
  if (experiment.mode === 'ab') {
    const unit = unitKey(experiment.id, a.unitId ?? `run:${a.runId}`);
    if (!fold.world.units.has(unit)) {
      fold.world.units.set(unit, a.arm);
      fold.changes.units.add(unit);
      addUnit(judge.statistics, sideOf(a.arm), experiment.rampStepIndex, experiment.trafficSplit);
    }
  }
  // Observations that arrived before the router's record are counted now.
  if (run.completion?.state === 'parked') countCompletion(fold, experiment, judge, run, 'matched_late');
  if (run.evaluation?.state === 'parked') countEvaluation(fold, experiment, judge, run, 'matched_late');
  judgeExperiment(fold, experiment, judge, event.eventId);
}

function onCompleted(fold: Fold, event: ConsumedEvent, r: RunCompleted): void {
  if (r.experimentId === null || r.arm === null) {
    count(fold.tally, 'completion:untagged');
    return;
  }
  const found = experimentFor(fold, 'completion', r.experimentId);
  if (!found) return;
  const { experiment, judge } = found;
  const run = runFor(fold, experiment.id, r.runId, r.arm);
  if (run.completion) {
    count(fold.tally, 'completion:duplicate');
    return;
  }
  run.completion = {
    ...completionValues(r),
    versionId: r.agentVersionId,
    at: r.completedAt.getTime(),
    state: 'parked',
  };
  if (run.assigned) countCompletion(fold, experiment, judge, run, 'counted');
  else count(fold.tally, 'completion:parked');
  judgeExperiment(fold, experiment, judge, event.eventId);
}

function onEvaluated(fold: Fold, event: ConsumedEvent, e: RunEvaluated): void {
  if (e.experimentId === null || e.arm === null) {
    count(fold.tally, 'evaluation:untagged');
    return;
  }
  const found = experimentFor(fold, 'evaluation', e.experimentId);
  if (!found) return;
  const { experiment, judge } = found;
  // One evaluator decides per experiment (the first seen), so that every score compared comes from the same one.
  judge.evaluatorId ??= e.evaluatorId;
  if (e.evaluatorId !== judge.evaluatorId) {
    ignore(judge, fold.tally, 'evaluation', 'other_evaluator');
    return;
  }
  const run = runFor(fold, experiment.id, e.runId, e.arm);
  if (run.evaluation) {
    count(fold.tally, 'evaluation:duplicate');
    return;
  }
  run.evaluation = {
    ...evaluationValues(e),
    evaluatorId: e.evaluatorId,
    versionId: e.agentVersionId,
    at: e.evaluatedAt.getTime(),
    state: 'parked',
  };
  if (run.assigned) countEvaluation(fold, experiment, judge, run, 'counted');
  else count(fold.tally, 'evaluation:parked');
  judgeExperiment(fold, experiment, judge, event.eventId);
}

function onApprovalDecided(fold: Fold, event: ConsumedEvent, d: ApprovalDecided): void {
  const experiment = fold.world.experiments.get(d.experimentId);
  const stored = fold.world.approvals.get(d.approvalId);
  if (!experiment || !stored || stored.experimentId !== experiment.id) {
    count(fold.tally, 'approval:unknown');
    return;
  }
  // Only the request the experiment is waiting on is answered: a withdrawn, expired or repeated one changes nothing.
  if (experiment.status !== 'awaiting_approval' || experiment.pendingApproval?.id !== d.approvalId) {
    count(fold.tally, 'approval:stale');
    return;
  }
  // The approvals row decides once (lib/db/repositories/approvals.ts): if it is decided already, that decision stands.
  const decision = stored.decision ?? d.decision;
  if (decision !== 'approved' && decision !== 'rejected') {
    count(fold.tally, 'approval:stale');
    return;
  }
  const judge = fold.world.judges.get(experiment.id)!;
  fold.changes.judges.add(experiment.id);
  count(fold.tally, `approval:${decision}`);
  // A person's answer is dated by its own clock; the data's clock does not move for it.
  judgeExperiment(fold, experiment, judge, event.eventId, Math.max(judge.clock, d.decidedAt.getTime()), {
    id: d.approvalId,
    decision,
    approver: stored.decision ? stored.approver : d.approver,
    source: d.source,
    record: stored.decision === null,
  });
}

/** Folds one event into the world. */
export function applyEvent(fold: Fold, event: ConsumedEvent): void {
  switch (event.topic) {
    case 'agent.run.assigned.v1':
      return onAssigned(fold, event, event.value as RunAssigned);
    case 'agent.run.completed.v1':
      return onCompleted(fold, event, event.value as RunCompleted);
    case 'agent.run.evaluated.v1':
      return onEvaluated(fold, event, event.value as RunEvaluated);
    case 'learning.approval.decided.v1':
      return onApprovalDecided(fold, event, event.value as ApprovalDecided);
    default:
      count(fold.tally, `${event.topic}:ignored`);
  }
}

/** The experiment ids a batch needs loaded. */
export function experimentIdsOf(events: readonly ConsumedEvent[]): string[] {
  const ids = new Set<string>();
  for (const event of events) {
    const id = (event.value as { experimentId?: string | null }).experimentId;
    if (typeof id === 'string') ids.add(id);
  }
  return [...ids].sort();
}
