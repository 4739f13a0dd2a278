import { CronExpressionParser } from 'cron-parser';
import type { LearningPolicy } from '../../lib/policy/policy.ts';
import { blockedBy, type AgentSituation, type NoTriggerReason } from './thresholds.ts';

/**
 * The most recent slot of the schedule at or before `now`, in the policy's time zone. Only the latest counts: after
 * downtime, the slots missed fire once (as this one), not once each.
 */
export function latestSlot(schedule: LearningPolicy['schedule'], now: Date): Date | null {
  if (!schedule.enabled) return null;
  const expression = CronExpressionParser.parse(schedule.cron, { currentDate: new Date(now.getTime() + 1), tz: schedule.timezone });
  return expression.hasPrev() ? expression.prev().toDate() : null;
}

/**
 * A slot's identity in the sessions table: with (agent, slot) unique, replicas racing for a slot open one session.
 * It is the slot's local wall-clock time and zone, not the instant: when clocks fall back, 02:30 happens twice, and
 * both occurrences must be one slot.
 */
export function slotKey(slot: Date, timezone: string): string {
  const local = new Intl.DateTimeFormat('sv-SE', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(slot);
  return `${local.replace(' ', 'T')} ${timezone}`;
}

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
export function decideScheduled(activity: ActivitySinceSession, slot: Date, situation: AgentSituation, policy: LearningPolicy): ScheduledDecision {
  const blocked = blockedBy({ ...situation, lastSessionAt: null }, policy, 0);
  if (blocked) return { open: false, reason: blocked };
  if (activity.runsSinceSession < policy.trigger.minRuns) return { open: false, reason: 'too_few_runs' };
  if (activity.firstRunSinceSession === null || activity.firstRunSinceSession > slot.getTime()) return { open: false, reason: 'no_runs_before_slot' };
  return { open: true };
}

/** Checks a cron expression and time zone as the scheduler will use them: for policy validation. */
export function checkSchedule(schedule: LearningPolicy['schedule']): string | null {
  try {
    CronExpressionParser.parse(schedule.cron, { tz: schedule.timezone });
    new Intl.DateTimeFormat('en', { timeZone: schedule.timezone });
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
