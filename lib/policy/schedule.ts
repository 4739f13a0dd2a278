import { CronExpressionParser } from 'cron-parser';

/** The backstop's schedule as a policy states it (policy.ts's `schedule`). */
export interface Schedule {
  enabled: boolean;
  cron: string;
  timezone: string;
}

/**
 * The most recent slot of the schedule at or before `now`, in the policy's time zone. Only the latest counts: after
 * downtime, the slots missed fire once (as this one), not once each.
 */
export function latestSlot(schedule: Schedule, now: Date): Date | null {
  if (!schedule.enabled) return null;
  const expression = CronExpressionParser.parse(schedule.cron, {
    currentDate: new Date(now.getTime() + 1),
    tz: schedule.timezone,
  });
  return expression.hasPrev() ? expression.prev().toDate() : null;
}

/** The first slot strictly after `now`: when the backstop next looks at the agent. */
export function nextSlot(schedule: Schedule, now: Date): Date | null {
  if (!schedule.enabled) return null;
  const expression = CronExpressionParser.parse(schedule.cron, { currentDate: now, tz: schedule.timezone });
  return expression.hasNext() ? expression.next().toDate() : null;
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

type ScheduleProblem = { field: 'cron' | 'timezone'; message: string } | null;

/**
 * Every policy resolution checks its schedule, and building a time zone's formatter and parsing the cron expression
 * cost about 175 µs, most of a resolution: the aggregator resolves the policy of every agent in a batch. Agents share
 * a handful of schedules, so the answers are kept (bounded: forgotten all at once when full).
 */
const checked = new Map<string, ScheduleProblem>();
const maxChecked = 1024;

/** Why the scheduler could not use a cron expression and time zone, or null: the policy refuses what it cannot run. */
export function scheduleProblem(schedule: Pick<Schedule, 'cron' | 'timezone'>): ScheduleProblem {
  const key = `${schedule.timezone}\u0000${schedule.cron}`;
  const known = checked.get(key);
  if (known !== undefined) return known;
  const problem = findScheduleProblem(schedule);
  if (checked.size >= maxChecked) checked.clear();
  checked.set(key, problem);
  return problem;
}

function findScheduleProblem(schedule: Pick<Schedule, 'cron' | 'timezone'>): ScheduleProblem {
  try {
    new Intl.DateTimeFormat('en', { timeZone: schedule.timezone });
  } catch {
    return { field: 'timezone', message: `unknown time zone ${JSON.stringify(schedule.timezone)}` };
  }
  try {
    CronExpressionParser.parse(schedule.cron, { tz: schedule.timezone });
    return null;
  } catch (err) {
    return { field: 'cron', message: err instanceof Error ? err.message : String(err) };
  }
}
