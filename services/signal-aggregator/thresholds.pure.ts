import type { ThresholdCrossing, WindowSummary } from '../../lib/contracts/types.generated.ts';
import type { LearningPolicy } from '../../lib/policy/policy.ts';

/**
 * The thresholds the window's figures are strictly beyond (a figure exactly at its threshold crosses nothing). A
 * figure with no data (no evaluations, no feedback, no cost history) crosses nothing either.
 */
export function crossedThresholds(
  figures: WindowSummary,
  trailingCost: number | null,
  trigger: LearningPolicy['trigger'],
): ThresholdCrossing[] {
  const crossed: ThresholdCrossing[] = [];
  const above = (metric: ThresholdCrossing['metric'], observed: number | null, threshold: number) => {
    if (observed !== null && observed > threshold) crossed.push({ metric, direction: 'above', threshold, observed });
  };
  above('failure_rate', figures.failureRate, trigger.failureRateAbove);
  if (figures.meanScore !== null && figures.meanScore < trigger.meanScoreBelow) {
    crossed.push({
      metric: 'score',
      direction: 'below',
      threshold: trigger.meanScoreBelow,
      observed: figures.meanScore,
    });
  }
  above('guardrail_hit_rate', figures.guardrailHitRate, trigger.guardrailHitRateAbove);
  above('negative_feedback_rate', figures.negativeFeedbackRate, trigger.negativeFeedbackRateAbove);
  if (trailingCost !== null && trailingCost > 0) {
    above('cost_per_run', figures.meanCostUsd, trailingCost * (1 + trigger.costIncreasePercentAbove / 100));
  }
  return crossed;
}

/** What the database says about the agent when a trigger is considered. */
export interface AgentSituation {
  paused: boolean;
  openSessionId: string | null;
  runningExperimentId: string | null;
  lastSessionAt: number | null;
}

/** Why an agent did not trigger: a bounded set, used as a metric label. */
export type NoTriggerReason =
  | 'too_few_runs'
  | 'no_runs_before_slot'
  | 'nothing_crossed'
  | 'paused'
  | 'session_open'
  | 'experiment_running'
  | 'cooldown';

export type ThresholdDecision =
  | { trigger: true; crossed: ThresholdCrossing[] }
  | { trigger: false; reason: NoTriggerReason };

/** Whether the window opens a session: enough runs, a threshold crossed, nothing in flight, cooldown over, not paused. */
export function decideThresholdTrigger(
  figures: WindowSummary,
  trailingCost: number | null,
  situation: AgentSituation,
  policy: LearningPolicy,
  now: number,
): ThresholdDecision {
  if (figures.runCount < policy.trigger.minRuns) return { trigger: false, reason: 'too_few_runs' };
  const crossed = crossedThresholds(figures, trailingCost, policy.trigger);
  if (crossed.length === 0) return { trigger: false, reason: 'nothing_crossed' };
  const blocked = blockedBy(situation, policy, now);
  return blocked ? { trigger: false, reason: blocked } : { trigger: true, crossed };
}

/** The reasons shared by both triggers: paused, single flight, cooldown. */
export function blockedBy(situation: AgentSituation, policy: LearningPolicy, now: number): NoTriggerReason | null {
  if (policy.paused || situation.paused) return 'paused';
  if (situation.openSessionId !== null) return 'session_open';
  if (situation.runningExperimentId !== null) return 'experiment_running';
  if (situation.lastSessionAt !== null && now - situation.lastSessionAt < policy.trigger.cooldownMs) return 'cooldown';
  return null;
}
