import { Counter, Histogram, type Registry } from 'prom-client';

export interface AggregatorMetrics {
  events: Counter<'kind' | 'outcome'>;
  triggers: Counter<'cause'>;
  crossed: Counter<'metric'>;
  notTriggered: Counter<'reason'>;
  slots: Counter<'outcome' | 'reason'>;
  windowBytes: Histogram;
  invalidPolicies: Counter;
}

export function aggregatorMetrics(registry: Registry): AggregatorMetrics {
  const registers = [registry];
  return {
    events: new Counter({
      name: 'learnloop_aggregator_events_total',
      help: 'Run and evaluation events by outcome: counted, late (beyond the grace period, dropped) or duplicate (the run was counted before).',
      labelNames: ['kind', 'outcome'],
      registers,
    }),
    triggers: new Counter({
      name: 'learnloop_aggregator_sessions_triggered_total',
      help: 'Learning sessions opened, by cause (threshold, scheduled).',
      labelNames: ['cause'],
      registers,
    }),
    crossed: new Counter({
      name: 'learnloop_aggregator_thresholds_crossed_total',
      help: 'Thresholds crossed by windows that opened a session, by metric.',
      labelNames: ['metric'],
      registers,
    }),
    notTriggered: new Counter({
      name: 'learnloop_aggregator_triggers_suppressed_total',
      help: 'Windows that crossed a threshold but opened no session, by reason (paused, session_open, experiment_running, cooldown).',
      labelNames: ['reason'],
      registers,
    }),
    slots: new Counter({
      name: 'learnloop_aggregator_scheduled_slots_total',
      help: 'Scheduled slots per agent: fired, or skipped with the reason (too_few_runs, no_runs_before_slot, paused, session_open, experiment_running, slot_taken).',
      labelNames: ['outcome', 'reason'],
      registers,
    }),
    windowBytes: new Histogram({
      name: 'learnloop_aggregator_window_state_bytes',
      help: 'Size of an agent window as stored, at each write.',
      buckets: [256, 512, 1024, 2048, 4096, 8192, 16384, 65536],
      registers,
    }),
    invalidPolicies: new Counter({
      name: 'learnloop_aggregator_invalid_policies_total',
      help: 'Stored agent policies that failed validation; the defaults applied instead.',
      registers,
    }),
  };
}
