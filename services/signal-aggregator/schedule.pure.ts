import type { LearningPolicy } from '../../lib/policy/policy.ts';
import { blockedBy, type AgentSituation, type NoTriggerReason } from './thresholds.pure.ts';

export type ScheduledDecision = { open: true } | { open: false; reason: NoTriggerReason };

/** What the backstop needs of an agent's window. */
export interface ActivitySinceSession {
  runsSinceSession: number;
  /** Event time of the first run since the last session, or null. */
  firstRunSinceSession: number | null;
}

/**
 * Whether a slot opens a session for an agent: `minRuns` runs since its last session that began before the slot (an
 * agent that only appeared after the slot waits for the next one, so that a first deployment does not open a session
 * for every agent at once), and the same freedom as a threshold trigger (not paused, nothing in flight). The cooldown
 * is for thresholds only: the backstop runs on its own clock.
 */
export function decideScheduled(
  activity: ActivitySinceSession,
  slot: Date,
  situation: AgentSituation,
  policy: LearningPolicy,
): ScheduledDecision {
  const blocked = blockedBy({ ...situation, lastSessionAt: null }, policy, 0);
  if (blocked) return { open: false, reason: blocked };
  if (activity.runsSinceSession < policy.trigger.minRuns) return { open: false, reason: 'too_few_runs' };
  if (activity.firstRunSinceSession === null || activity.firstRunSinceSession > slot.getTime())
    return { open: false, reason: 'no_runs_before_slot' };
  return { open: true };
}
