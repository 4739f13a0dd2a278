import type {
  ExperimentMode,
  ExperimentPolicy,
  ExperimentStatus,
  GuardrailTest,
  Metric,
  RampStep,
  RiskTier,
  TrafficSplit,
  VerdictDecision,
  VerdictReason,
  VerdictReasonCode,
} from '../../lib/contracts/types.generated.ts';
import { MAX_ARM_BASIS_POINTS } from '../../lib/experiments/buckets.pure.ts';
import { isAssigning } from '../../lib/experiments/status.pure.ts';
import type { Analysis } from './analysis.pure.ts';
import { measureOf } from './measures.pure.ts';

/** What the decision needs to know of an experiment (times in epoch milliseconds, so that it is plain JSON). */
export interface ExperimentView {
  experimentId: string;
  status: ExperimentStatus;
  mode: ExperimentMode;
  riskTier: RiskTier;
  autoEligible: boolean;
  startedAt: number;
  trafficSplit: TrafficSplit;
  rampSchedule: RampStep[];
  /** The step of rampSchedule in force. */
  rampStepIndex: number;
  /** While awaiting approval: when the pending request expires (undecided by then = rejected). */
  approvalExpiresAt: number | null;
}

/** What the judge remembers between analyses of an experiment, besides its statistics. */
export interface JudgeMemory {
  /** Since when every analysis has found the primary metric better (null: the last one did not). */
  primaryBetterSince: number | null;
  /** When the ramp step in force began. */
  rampStepStartedAt: number;
  /** Runs counted per arm since the ramp step in force began. */
  stepRuns: { baseline: number; candidate: number };
  /** The experiment was paused once for a sample-ratio mismatch; after a person resumes it, SRM only blocks promotion. */
  srmPaused: boolean;
}

export interface DecisionInput {
  experiment: ExperimentView;
  memory: JudgeMemory;
  /** The policy the experiment carries (learning.experiment.state.v1): a later policy change does not apply to it. */
  policy: ExperimentPolicy;
  analysis: Analysis;
  /** Event time of the analysis (the latest event of the experiment), epoch ms. */
  now: number;
}

/** A verdict, or `reject`: an approval request rejected or expired (a person's decision, not a verdict). */
export type JudgeAction = VerdictDecision | 'reject';

export interface Decision {
  action: JudgeAction;
  reasons: VerdictReason[];
  /** The experiment's status after the decision (unchanged for continue). */
  status: ExperimentStatus;
  /** ramp: the split to move to. */
  nextTrafficSplit: TrafficSplit | null;
  nextRampStepIndex: number | null;
  memory: JudgeMemory;
  /** A pending approval request is withdrawn (a regression or a mismatch while it waited). */
  withdrawApproval: boolean;
  promotionMode: 'auto' | 'manual' | null;
}

export interface ApprovalInput {
  decision: 'approved' | 'rejected';
  approver: string | null;
}

const reason = (code: VerdictReasonCode, detail: string | null = null): VerdictReason => ({ code, detail });
const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));

/**
 * The guardrails that decide. A cost guardrail binds only where the policy forbids a cost increase (low risk: its
 * margin is the tolerance); for a change that may cost more it is reported but neither fails nor blocks.
 */
function bindingGuardrails(policy: ExperimentPolicy): ExperimentPolicy['guardrails'] {
  return policy.guardrails.filter((g) => g.metric !== 'cost_per_run' || policy.forbidCostIncrease);
}

interface GuardrailState {
  regressed: GuardrailTest[];
  /** Metrics not yet significantly within their margin (no data, unsupported, or inconclusive). */
  pending: Metric[];
  /** Point estimate already beyond the margin: a signal that holds the ramp even before it is significant. */
  signalled: Metric[];
}

function guardrailState(policy: ExperimentPolicy, analysis: Analysis): GuardrailState {
  const state: GuardrailState = { regressed: [], pending: [], signalled: [] };
  for (const g of bindingGuardrails(policy)) {
    const test = analysis.statistics.guardrails.find((t) => t.metric === g.metric);
    if (!test) {
      state.pending.push(g.metric);
      continue;
    }
    if (test.outcome === 'regressed') state.regressed.push(test);
    else if (test.outcome === 'inconclusive') state.pending.push(g.metric);
    const worsening = measureOf(g.metric)?.higherIsBetter ? -test.estimate : test.estimate;
    if (worsening > g.margin) state.signalled.push(g.metric);
  }
  return state;
}

function regressionReasons(policy: ExperimentPolicy, regressed: readonly GuardrailTest[]): VerdictReason[] {
  const reasons = regressed.map((t) =>
    reason('guardrail_regressed', `${t.metric}: worse by at least ${fmt(t.bound)} (margin ${fmt(t.margin)})`),
  );
  if (policy.forbidCostIncrease && regressed.some((t) => t.metric === 'cost_per_run'))
    reasons.push(reason('cost_increase_forbidden', 'the policy forbids a cost increase'));
  return reasons;
}

/**
 * The split of the next ramp step: the candidate grows; a measured baseline as large as the candidate grows with it.
 * Neither passes MAX_ARM_BASIS_POINTS, so that a growing share never moves a unit between arms (docs/router.md).
 */
export function rampSplit(current: TrafficSplit, next: RampStep): TrafficSplit {
  const candidate = Math.min(next.candidateBasisPoints, MAX_ARM_BASIS_POINTS);
  const baseline =
    current.baselineBasisPoints === current.candidateBasisPoints
      ? candidate
      : Math.min(current.baselineBasisPoints, MAX_ARM_BASIS_POINTS);
  return {
    candidateBasisPoints: candidate,
    baselineBasisPoints: baseline,
    shadowSampleBasisPoints: current.shadowSampleBasisPoints,
  };
}

function unchanged(
  input: DecisionInput,
  action: JudgeAction,
  reasons: VerdictReason[],
  memory: JudgeMemory = input.memory,
): Decision {
  return {
    action,
    reasons,
    status: input.experiment.status,
    nextTrafficSplit: null,
    nextRampStepIndex: null,
    memory,
    withdrawApproval: false,
    promotionMode: null,
  };
}

function ending(
  input: DecisionInput,
  action: JudgeAction,
  status: ExperimentStatus,
  reasons: VerdictReason[],
  memory: JudgeMemory = input.memory,
): Decision {
  return {
    action,
    reasons,
    status,
    nextTrafficSplit: null,
    nextRampStepIndex: null,
    memory,
    withdrawApproval: input.experiment.status === 'awaiting_approval',
    promotionMode: null,
  };
}

/** Failures that apply whatever the experiment is waiting for: a guardrail regression, a worse primary, a mismatch. */
function alarms(input: DecisionInput, guardrails: GuardrailState): Decision | null {
  const { policy, analysis, memory } = input;
  if (guardrails.regressed.length > 0)
    return ending(input, 'fail', 'failed', regressionReasons(policy, guardrails.regressed));
  const primary = analysis.statistics.primary;
  if (primary?.outcome === 'worse') {
    return ending(input, 'fail', 'failed', [
      reason(
        'primary_worse',
        `${primary.metric}: ${fmt(primary.estimate)} [${fmt(primary.lower)}, ${fmt(primary.upper)}]`,
      ),
    ]);
  }
  const srm = analysis.statistics.srm;
  if (srm?.mismatch && !memory.srmPaused) {
    return ending(
      input,
      'pause',
      'paused',
      [reason('sample_ratio_mismatch', `p = ${fmt(srm.pValue)} < ${fmt(policy.srmPValue)}`)],
      { ...memory, srmPaused: true },
    );
  }
  return null;
}

interface Readiness {
  promotable: boolean;
  /** Why it is not promotable yet, in a fixed order. */
  blockers: VerdictReason[];
  memory: JudgeMemory;
}

/** Whether every condition for promotion holds on this analysis, and the reasons it does not. */
function readiness(input: DecisionInput, guardrails: GuardrailState): Readiness {
  const { experiment, memory, policy, analysis, now } = input;
  const blockers: VerdictReason[] = [];
  const runs = Math.min(analysis.samples.baseline, analysis.samples.candidate);
  if (runs < policy.minRunsPerArm)
    blockers.push(reason('minimum_runs_not_reached', `${runs} of ${policy.minRunsPerArm} per arm`));
  const age = now - experiment.startedAt;
  if (age < policy.minDurationMs)
    blockers.push(reason('minimum_duration_not_reached', `${age} of ${policy.minDurationMs} ms`));

  const primary = analysis.statistics.primary;
  const better = primary?.outcome === 'better';
  // Sustained: better on every analysis since primaryBetterSince; one analysis that is not resets the clock.
  const since = better ? (memory.primaryBetterSince ?? now) : null;
  const sustained = since !== null && now - since >= policy.sustainedMs;
  if (!primary)
    blockers.push(
      reason(
        'primary_inconclusive',
        measureOf(policy.primaryMetric) ? 'not enough data' : `${policy.primaryMetric} is not measured by the judge`,
      ),
    );
  else if (!better)
    blockers.push(
      reason(
        'primary_inconclusive',
        `${primary.metric}: ${fmt(primary.estimate)} [${fmt(primary.lower)}, ${fmt(primary.upper)}], minimum effect ${fmt(policy.minimumEffect)}`,
      ),
    );
  else if (!sustained)
    blockers.push(reason('primary_better', `better for ${now - since!} of ${policy.sustainedMs} ms`));

  if (guardrails.pending.length > 0) blockers.push(reason('guardrail_inconclusive', guardrails.pending.join(', ')));
  if (analysis.statistics.srm?.mismatch)
    blockers.push(reason('sample_ratio_mismatch', `p = ${fmt(analysis.statistics.srm.pValue)}`));
  return { promotable: blockers.length === 0, blockers, memory: { ...memory, primaryBetterSince: since } };
}

function promotion(input: DecisionInput, memory: JudgeMemory): Decision {
  const { experiment, policy, analysis } = input;
  const primary = analysis.statistics.primary!;
  const evidence = reason(
    'primary_better_sustained',
    `${primary.metric}: ${fmt(primary.estimate)} [${fmt(primary.lower)}, ${fmt(primary.upper)}]`,
  );
  // Only a low-risk, auto-eligible change under a policy that allows it goes live without a person.
  if (policy.autoPromote && experiment.riskTier === 'low' && experiment.autoEligible) {
    return { ...ending(input, 'promote', 'promoted', [evidence], memory), promotionMode: 'auto' };
  }
  return {
    ...unchanged(
      input,
      'request_approval',
      [
        evidence,
        reason(
          'approval_required',
          `${experiment.riskTier} risk${experiment.autoEligible ? '' : ', not auto-eligible'}`,
        ),
      ],
      memory,
    ),
    status: 'awaiting_approval',
  };
}

function ramp(
  input: DecisionInput,
  guardrails: GuardrailState,
  memory: JudgeMemory,
  blockers: VerdictReason[],
): Decision | null {
  const { experiment, now } = input;
  if (experiment.mode !== 'ab') return null;
  const step = experiment.rampSchedule[experiment.rampStepIndex];
  const next = experiment.rampSchedule[experiment.rampStepIndex + 1];
  if (!step || !next || next.candidateBasisPoints <= experiment.trafficSplit.candidateBasisPoints) return null;
  if (now - memory.rampStepStartedAt < step.minDurationMs) return null;
  if (Math.min(memory.stepRuns.baseline, memory.stepRuns.candidate) < step.minRunsPerArm) return null;
  if (guardrails.signalled.length > 0 || input.analysis.statistics.srm?.mismatch) return null;
  return {
    action: 'ramp',
    reasons: [
      reason(
        'ramp_step_complete',
        `${experiment.trafficSplit.candidateBasisPoints} -> ${next.candidateBasisPoints} bp`,
      ),
      ...blockers,
    ],
    status: experiment.status,
    nextTrafficSplit: rampSplit(experiment.trafficSplit, next),
    nextRampStepIndex: experiment.rampStepIndex + 1,
    memory: { ...memory, rampStepStartedAt: now, stepRuns: { baseline: 0, candidate: 0 } },
    withdrawApproval: false,
    promotionMode: null,
  };
}

/**
 * The judge's decision on an experiment after an analysis: a pure function of the experiment, its policy, the
 * statistics and the time. In order:
 * 1. a guardrail significantly worse than its margin, or the primary metric significantly worse: fail at once;
 * 2. a sample-ratio mismatch: pause (once; afterwards it only blocks promotion);
 * 3. while awaiting approval: hold (the share stays; the checks above keep running); an expired request: reject;
 * 4. every condition met (primary better than the minimum effect on every analysis for sustainedMs, minimum runs per
 *    arm and duration, every binding guardrail significantly within its margin, no mismatch): promote if low risk and
 *    auto-eligible under a policy that allows it, else request approval;
 * 5. the maximum duration reached: inconclusive, no promotion;
 * 6. the ramp step's hold time and runs passed with no guardrail signal: ramp to the next step;
 * 7. otherwise continue, with the reasons it cannot promote yet.
 */
export function decide(input: DecisionInput): Decision {
  const { experiment, policy, analysis, now } = input;
  if (!isAssigning(experiment.status)) return unchanged(input, 'continue', []);
  const guardrails = guardrailState(policy, analysis);
  const alarm = alarms(input, guardrails);
  if (alarm) return alarm;

  if (experiment.status === 'awaiting_approval') {
    if (experiment.approvalExpiresAt !== null && now >= experiment.approvalExpiresAt) {
      return {
        ...ending(input, 'reject', 'rejected', [reason('approval_required', 'the approval request expired')]),
        withdrawApproval: false,
      };
    }
    return unchanged(input, 'continue', [reason('approval_required', 'waiting for a decision')]);
  }

  const ready = readiness(input, guardrails);
  if (ready.promotable) return promotion(input, ready.memory);
  if (now - experiment.startedAt >= policy.maxDurationMs) {
    return ending(
      input,
      'fail',
      'inconclusive',
      [
        reason('maximum_duration_reached', `${now - experiment.startedAt} of ${policy.maxDurationMs} ms`),
        ...ready.blockers,
      ],
      ready.memory,
    );
  }
  return (
    ramp(input, guardrails, ready.memory, ready.blockers) ?? unchanged(input, 'continue', ready.blockers, ready.memory)
  );
}

/**
 * A person decided a pending approval. Rejected: the experiment closes and traffic returns to the baseline. Approved:
 * the guardrails are checked again on the statistics as they stand now; promoted only if none regressed, the primary
 * is not worse and every binding guardrail is still significantly within its margin. If one regressed (or the primary
 * turned worse) it fails; if one is merely no longer conclusive, it goes back to running and will ask again.
 */
export function decideOnApproval(input: DecisionInput, approval: ApprovalInput): Decision {
  const { experiment, policy, analysis } = input;
  if (experiment.status !== 'awaiting_approval') return unchanged(input, 'continue', []);
  const who = approval.approver ?? 'unknown';
  if (approval.decision === 'rejected')
    return {
      ...ending(input, 'reject', 'rejected', [reason('approval_required', `rejected by ${who}`)]),
      withdrawApproval: false,
    };
  const guardrails = guardrailState(policy, analysis);
  if (guardrails.regressed.length > 0)
    return {
      ...ending(input, 'fail', 'failed', regressionReasons(policy, guardrails.regressed)),
      withdrawApproval: false,
    };
  const primary = analysis.statistics.primary;
  if (primary?.outcome === 'worse')
    return {
      ...ending(input, 'fail', 'failed', [reason('primary_worse', `${primary.metric}: ${fmt(primary.estimate)}`)]),
      withdrawApproval: false,
    };
  // The request was made with the minimums met; checked again all the same, so that no path promotes without them.
  const reasons: VerdictReason[] = [];
  const runs = Math.min(analysis.samples.baseline, analysis.samples.candidate);
  if (runs < policy.minRunsPerArm)
    reasons.push(reason('minimum_runs_not_reached', `${runs} of ${policy.minRunsPerArm} per arm`));
  if (input.now - experiment.startedAt < policy.minDurationMs)
    reasons.push(
      reason('minimum_duration_not_reached', `${input.now - experiment.startedAt} of ${policy.minDurationMs} ms`),
    );
  if (guardrails.pending.length > 0) reasons.push(reason('guardrail_inconclusive', guardrails.pending.join(', ')));
  if (analysis.statistics.srm?.mismatch)
    reasons.push(reason('sample_ratio_mismatch', `p = ${fmt(analysis.statistics.srm.pValue)}`));
  if (reasons.length > 0)
    return {
      ...unchanged(input, 'continue', reasons, { ...input.memory, primaryBetterSince: null }),
      status: 'running',
    };
  return {
    ...ending(input, 'promote', 'promoted', [
      reason('primary_better_sustained', primary ? `${primary.metric}: ${fmt(primary.estimate)}` : null),
      reason('approval_required', `approved by ${who}`),
    ]),
    withdrawApproval: false,
    promotionMode: 'manual',
  };
}
