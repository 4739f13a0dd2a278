import { type Kysely } from 'kysely';
import type { TopicName } from '../../lib/contracts/types.generated.ts';
import type { Database } from '../../lib/db/schema.ts';
import { writeEvents } from '../../lib/kafka/outbox.ts';
import type { Serde } from '../../lib/kafka/serde.ts';
import type { Logger } from '../../lib/logging.ts';
import type { LearningPolicy } from '../../lib/policy/policy.ts';
import { resolvePolicy } from '../../lib/policy/resolve.ts';
import type { AggregatorMetrics } from './metrics.ts';
import { openTriggeredSession } from './open-session.ts';
import { latestSlot, slotKey } from '../../lib/policy/schedule.ts';
import { decideScheduled } from './schedule.pure.ts';
import { lockWindows, saveWindows, situationOf } from './store.ts';
import { crossedThresholds, type NoTriggerReason } from './thresholds.pure.ts';
import { trailingCostPerRun, summarise } from './window.pure.ts';

export interface SchedulerDeps {
  db: Kysely<Database>;
  serde: Serde;
  /** The outbox producer: the aggregator's consumer group, whose relay publishes these events with the others. */
  producer: string;
  physicalName: (topic: TopicName) => string;
  metrics: AggregatorMetrics;
  logger: Logger;
  now?: () => Date;
}

/**
 * The scheduled backstop. Each tick takes, per schedule, its latest slot; every agent the aggregator knows that has no
 * session for that slot yet is considered once (a schedule's slot, once handled, is remembered until the next slot).
 * Replicas may tick at once: (agent, slot) is unique in the database, so one session per agent and slot opens.
 */
export function createScheduler(deps: SchedulerDeps) {
  const now = deps.now ?? (() => new Date());
  const handled = new Map<string, string>();

  async function considerAgent(
    agentId: string,
    policy: LearningPolicy,
    slotTime: Date,
    slot: string,
  ): Promise<{ fired: true } | { fired: false; reason: NoTriggerReason | 'slot_taken' }> {
    return deps.db.transaction().execute(async (trx) => {
      const window = (await lockWindows(trx, [agentId])).get(agentId)!;
      const decision = decideScheduled(window, slotTime, await situationOf(trx, agentId, window, policy), policy);
      if (!decision.open) return { fired: false, reason: decision.reason };
      const figures = summarise(window, policy.window);
      const crossed = crossedThresholds(figures, trailingCostPerRun(window, policy.window), policy.trigger);
      const opened = await openTriggeredSession(trx, {
        agentId,
        window,
        settings: policy.window,
        trigger: 'scheduled',
        crossed,
        slot,
        now: now(),
      });
      if (!opened.ok) return { fired: false, reason: opened.reason };
      await writeEvents(trx, deps, [{ topic: 'learning.session.triggered.v1', key: agentId, value: opened.event }]);
      await saveWindows(trx, new Map([[agentId, window]]));
      return { fired: true };
    });
  }

  async function tick(): Promise<void> {
    const at = now();
    const rows = await deps.db
      .selectFrom('aggregator_windows as w')
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('policies')
            .select('policy')
            .whereRef('policies.agent_id', '=', 'w.agent_id')
            .orderBy('version', 'desc')
            .limit(1)
            .as('p'),
        (join) => join.onTrue(),
      )
      .select(['w.agent_id', 'p.policy'])
      .execute();
    const bySchedule = new Map<
      string,
      { slot: string; slotTime: Date; agents: Array<{ agentId: string; policy: LearningPolicy }> }
    >();
    for (const row of rows) {
      const resolved = resolvePolicy(row.policy);
      if (!resolved.ok) {
        deps.metrics.invalidPolicies.inc();
        deps.logger.error('stored policy is invalid; the agent is left out of the schedule', {
          agentId: row.agent_id,
          errors: resolved.errors,
        });
        continue;
      }
      const schedule = resolved.policy.schedule;
      const latest = latestSlot(schedule, at);
      if (!latest) continue;
      const scheduleKey = JSON.stringify([schedule.cron, schedule.timezone]);
      const slot = slotKey(latest, schedule.timezone);
      if (handled.get(scheduleKey) === slot) continue;
      const group = bySchedule.get(scheduleKey) ?? { slot, slotTime: latest, agents: [] };
      group.agents.push({ agentId: row.agent_id, policy: resolved.policy });
      bySchedule.set(scheduleKey, group);
    }
    for (const [scheduleKey, { slot, slotTime, agents }] of bySchedule) {
      const taken = await deps.db
        .selectFrom('sessions')
        .select('agent_id')
        .where('slot', '=', slot)
        .where((eb) => eb('agent_id', '=', eb.fn.any(eb.val(agents.map((a) => a.agentId)))))
        .execute();
      const done = new Set(taken.map((r) => r.agent_id));
      for (const { agentId, policy } of agents) {
        if (done.has(agentId)) continue;
        const result = await considerAgent(agentId, policy, slotTime, slot);
        if (result.fired) {
          deps.metrics.slots.inc({ outcome: 'fired', reason: 'none' });
          deps.metrics.triggers.inc({ cause: 'scheduled' });
          deps.logger.info('scheduled session opened', { agentId, slot });
        } else {
          deps.metrics.slots.inc({ outcome: 'skipped', reason: result.reason });
        }
      }
      handled.set(scheduleKey, slot);
    }
  }

  return { tick };
}
