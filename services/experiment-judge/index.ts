import { connect, runtimeBase } from '../../lib/connections.ts';
import { startConsumerRuntime } from '../../lib/kafka/consumer-runtime.ts';
import type { ServiceDefinition } from '../../lib/service.ts';
import { judgeHandler } from './handler.ts';
import { experimentsGauge, judgeMetrics } from './metrics.ts';

/**
 * experiment-judge: sequential statistics per experiment after every event, guardrails, sample-ratio checks, the ramp,
 * promotion and approvals (docs/statistics.md).
 */
export const experimentJudge: ServiceDefinition = {
  name: 'experiment-judge',
  summary: 'sequential statistics per experiment arm; ramps, fails, promotes or asks for approval',
  async start(ctx) {
    const connections = connect(ctx, 'experiment-judge');
    const metrics = judgeMetrics(ctx.metrics);
    experimentsGauge(ctx.metrics, connections.db);
    const runtime = await startConsumerRuntime({
      ...runtimeBase(ctx, connections, 'experiment-judge'),
      topics: [
        'agent.run.assigned.v1',
        'agent.run.completed.v1',
        'agent.run.evaluated.v1',
        'learning.approval.decided.v1',
      ],
      handler: judgeHandler({ metrics, logger: ctx.logger }),
      // The judge reads every run of every agent, most of them in no experiment. It counts a run once per
      // (experiment, run, arm) under any eventId, and an approval only answers the request still pending, so the
      // runtime's per-event dedupe write would only cost.
      dedupeEventIds: false,
    });
    ctx.addReadiness({ name: 'partitions-assigned', check: () => runtime.ready() });
    ctx.addReadiness({ name: 'outbox-relay', check: () => runtime.relayHealthy() });
    ctx.shutdown.add('experiment-judge', () => runtime.stop());
  },
};
