import type { RunCompleted, RunEvaluated } from '../../lib/contracts/types.generated.ts';
import type { BatchHandler, ConsumedEvent, EmittedEvent } from '../../lib/kafka/batch.ts';
import { countedKey } from './counted-key.pure.ts';
import type { Logger } from '../../lib/logging.ts';
import type { AggregatorMetrics } from './metrics.ts';
import { openTriggeredSession } from './open-session.ts';
import { firstCounted, lockWindows, policiesOf, saveWindows, situationOf } from './store.ts';
import { crossedThresholds, decideThresholdTrigger } from './thresholds.pure.ts';
import { applyEvaluation, applyRun, summarise, trailingCostPerRun, windowUpdatedEvent } from './window.pure.ts';

const kindOf = (event: ConsumedEvent) => (event.topic === 'agent.run.completed.v1' ? 'run' : 'evaluation');

/**
 * Folds a batch into the agents' windows, opens a session for each agent whose window crossed a threshold, and
 * announces each changed window (learning.agent.window.v1) for the services that show it.
 */
export function aggregatorHandler(deps: {
  metrics: AggregatorMetrics;
  logger: Logger;
  now?: () => Date;
}): BatchHandler {
  const { metrics, logger } = deps;
  const now = deps.now ?? (() => new Date());
  return async (trx, events) => {
    const keys = events.map(countedKey);
    const fresh = await firstCounted(trx, keys);
    // Deleting as it goes: the same run twice within one batch counts once too.
    const counted = events.filter((event, i) => {
      if (fresh.delete(keys[i]!)) return true;
      metrics.events.inc({ kind: kindOf(event), outcome: 'duplicate' });
      return false;
    });
    if (counted.length === 0) return [];

    const agentIds = [...new Set(counted.map((e) => (e.value as RunCompleted | RunEvaluated).agentId))];
    const windows = await lockWindows(trx, agentIds);
    const policies = await policiesOf(trx, agentIds, (agentId, errors) => {
      metrics.invalidPolicies.inc();
      logger.error('stored policy is invalid; using the defaults', { agentId, errors });
    });

    for (const event of counted) {
      const value = event.value as RunCompleted | RunEvaluated;
      const window = windows.get(value.agentId)!;
      const settings = policies.get(value.agentId)!.window;
      const placement =
        event.topic === 'agent.run.completed.v1'
          ? applyRun(window, value as RunCompleted, settings)
          : applyEvaluation(window, value as RunEvaluated, settings);
      metrics.events.inc({ kind: kindOf(event), outcome: placement });
    }

    const emitted: EmittedEvent[] = [];
    const at = now();
    for (const agentId of agentIds) {
      const window = windows.get(agentId)!;
      const policy = policies.get(agentId)!;
      const figures = summarise(window, policy.window);
      const trailing = trailingCostPerRun(window, policy.window);
      // The database is asked about sessions and experiments only for a window that would trigger.
      if (
        figures.runCount < policy.trigger.minRuns ||
        crossedThresholds(figures, trailing, policy.trigger).length === 0
      )
        continue;
      const decision = decideThresholdTrigger(
        figures,
        trailing,
        await situationOf(trx, agentId, window, policy),
        policy,
        at.getTime(),
      );
      if (!decision.trigger) {
        metrics.notTriggered.inc({ reason: decision.reason });
        continue;
      }
      const opened = await openTriggeredSession(trx, {
        agentId,
        window,
        settings: policy.window,
        trigger: 'threshold',
        crossed: decision.crossed,
        now: at,
      });
      if (!opened.ok) {
        metrics.notTriggered.inc({ reason: 'session_open' });
        continue;
      }
      metrics.triggers.inc({ cause: 'threshold' });
      for (const c of decision.crossed) metrics.crossed.inc({ metric: c.metric });
      emitted.push({ topic: 'learning.session.triggered.v1', key: agentId, value: opened.event });
    }

    for (const agentId of agentIds) {
      const value = windowUpdatedEvent(agentId, windows.get(agentId)!, policies.get(agentId)!.window, at);
      emitted.push({ topic: 'learning.agent.window.v1', key: agentId, value });
    }
    for (const window of windows.values()) metrics.windowBytes.observe(JSON.stringify(window).length);
    await saveWindows(trx, windows);
    return emitted;
  };
}
