import { Counter, Histogram, type Registry } from 'prom-client';

export function proposerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    sessions: new Counter({
      name: 'learnloop_proposer_sessions_total',
      help: 'Sessions handled, by outcome: experimenting, or closed/failed with a bounded reason.',
      labelNames: ['outcome'],
      registers,
    }),
    proposals: new Counter({
      name: 'learnloop_proposer_proposals_total',
      help: 'Proposals created, by risk tier and auto-eligibility.',
      labelNames: ['tier', 'auto_eligible'],
      registers,
    }),
    generatorSeconds: new Histogram({
      name: 'learnloop_proposer_generator_duration_seconds',
      help: 'Time a proposal generator took to answer.',
      labelNames: ['generator'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    generatorFailures: new Counter({
      name: 'learnloop_proposer_generator_failures_total',
      help: 'Generator answers that produced no valid proposal.',
      labelNames: ['generator'],
      registers,
    }),
  };
}
export type ProposerMetrics = ReturnType<typeof proposerMetrics>;
