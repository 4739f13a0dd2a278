import { connect, runtimeBase } from '../../lib/connections.ts';
import { startConsumerRuntime } from '../../lib/kafka/consumer-runtime.ts';
import type { ServiceDefinition } from '../../lib/service.ts';
import { proposerHandler } from './handler.ts';
import { proposerMetrics } from './metrics.ts';

export const proposer: ServiceDefinition = {
  name: 'proposer',
  summary: 'turns a triggered session into risk-scored proposals and starts an experiment for the first',
  async start(ctx) {
    const connections = connect(ctx, 'proposer');
    const runtime = await startConsumerRuntime({
      ...runtimeBase(ctx, connections, 'proposer'),
      topics: ['learning.session.triggered.v1'],
      handler: proposerHandler({ metrics: proposerMetrics(ctx.metrics), logger: ctx.logger, env: ctx.env }),
    });
    ctx.addReadiness({ name: 'partitions-assigned', check: () => runtime.ready() });
    ctx.addReadiness({ name: 'outbox-relay', check: () => runtime.relayHealthy() });
    ctx.shutdown.add('proposer', () => runtime.stop());
  },
};
