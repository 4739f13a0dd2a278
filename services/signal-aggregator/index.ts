import { z } from 'zod';
import { loadConfig, positiveInt } from '../../lib/config.ts';
import { connect, runtimeBase } from '../../lib/connections.ts';
import { startConsumerRuntime } from '../../lib/kafka/consumer-runtime.ts';
import type { ServiceDefinition } from '../../lib/service.ts';
import { aggregatorHandler } from './handler.ts';
import { aggregatorMetrics } from './metrics.ts';
import { createScheduler } from './scheduler.ts';

const settingsSchema = z.object({
  /** How often the scheduled backstop looks for due slots; a slot fires at most this late. */
  LEARNLOOP_AGGREGATOR_TICK_MS: positiveInt.default(30_000),
});

export const signalAggregator: ServiceDefinition = {
  name: 'signal-aggregator',
  summary: 'per-agent windows over run events; opens learning sessions on thresholds and on a schedule',
  async start(ctx) {
    const settings = loadConfig(settingsSchema, ctx.env);
    const connections = connect(ctx, 'signal-aggregator');
    const base = runtimeBase(ctx, connections, 'signal-aggregator');
    const metrics = aggregatorMetrics(ctx.metrics);
    const runtime = await startConsumerRuntime({
      ...base,
      topics: ['agent.run.completed.v1', 'agent.run.evaluated.v1'],
      handler: aggregatorHandler({ metrics, logger: ctx.logger }),
      // The handler counts a run once under any eventId (aggregator_counted), which covers a repeated eventId too.
      dedupeEventIds: false,
    });
    const scheduler = createScheduler({
      db: connections.db,
      serde: connections.serde,
      producer: base.groupId,
      physicalName: connections.physicalName,
      metrics,
      logger: ctx.logger,
    });
    let ticking: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      ticking = ticking
        .then(() => scheduler.tick())
        .catch((err: unknown) => ctx.logger.error('scheduled tick failed; the next tick retries', { err }));
    }, settings.LEARNLOOP_AGGREGATOR_TICK_MS);
    ctx.addReadiness({ name: 'partitions-assigned', check: () => runtime.ready() });
    ctx.addReadiness({ name: 'outbox-relay', check: () => runtime.relayHealthy() });
    ctx.shutdown.add('signal-aggregator', async () => {
      clearInterval(timer);
      await ticking;
      await runtime.stop();
    });
  },
};
