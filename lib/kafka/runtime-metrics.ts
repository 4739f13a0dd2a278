import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The consumer runtime's metrics. Labels are bounded: consumer group and topic come from code, partition from the
 * topic's partition count, reason from a fixed list.
 */
export interface RuntimeMetrics {
  consumed: Counter<'group' | 'topic'>;
  processed: Counter<'group' | 'topic'>;
  duplicates: Counter<'group' | 'topic'>;
  deadLettered: Counter<'group' | 'topic' | 'reason'>;
  badKeys: Counter<'group' | 'topic' | 'reason'>;
  retries: Counter<'group' | 'cause'>;
  batchDuration: Histogram<'group'>;
  lag: Gauge<'group' | 'topic' | 'partition'>;
  outboxBacklog: Gauge<'producer'>;
  outboxOldestAge: Gauge<'producer'>;
  published: Counter<'producer' | 'topic'>;
  outboxParked: Counter<'producer' | 'topic'>;
}

/** prom-client refuses a second metric of one name in a registry; several runtimes in one process share these. */
function shared<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function runtimeMetrics(registry: Registry): RuntimeMetrics {
  const registers = [registry];
  return {
    consumed: shared(
      registry,
      'learnloop_consumer_records_consumed_total',
      () =>
        new Counter({
          name: 'learnloop_consumer_records_consumed_total',
          help: 'Records read from Kafka.',
          labelNames: ['group', 'topic'],
          registers,
        }),
    ),
    processed: shared(
      registry,
      'learnloop_consumer_records_processed_total',
      () =>
        new Counter({
          name: 'learnloop_consumer_records_processed_total',
          help: 'Records handed to the handler and committed.',
          labelNames: ['group', 'topic'],
          registers,
        }),
    ),
    duplicates: shared(
      registry,
      'learnloop_consumer_duplicates_skipped_total',
      () =>
        new Counter({
          name: 'learnloop_consumer_duplicates_skipped_total',
          help: 'Records skipped because their eventId was processed before.',
          labelNames: ['group', 'topic'],
          registers,
        }),
    ),
    deadLettered: shared(
      registry,
      'learnloop_consumer_records_dead_lettered_total',
      () =>
        new Counter({
          name: 'learnloop_consumer_records_dead_lettered_total',
          help: 'Records sent to learning.dlq.v1, by reason (decode, invalid, handler).',
          labelNames: ['group', 'topic', 'reason'],
          registers,
        }),
    ),
    badKeys: shared(
      registry,
      'learnloop_consumer_records_bad_key_total',
      () =>
        new Counter({
          name: 'learnloop_consumer_records_bad_key_total',
          help: 'Records whose Kafka key is missing (reason missing) or is not their agentId (mismatch); processed by their value.',
          labelNames: ['group', 'topic', 'reason'],
          registers,
        }),
    ),
    retries: shared(
      registry,
      'learnloop_consumer_retries_total',
      () =>
        new Counter({
          name: 'learnloop_consumer_retries_total',
          help: 'Batches paused and retried after a transient failure, by cause (database, registry, kafka, conflict).',
          labelNames: ['group', 'cause'],
          registers,
        }),
    ),
    batchDuration: shared(
      registry,
      'learnloop_consumer_batch_duration_seconds',
      () =>
        new Histogram({
          name: 'learnloop_consumer_batch_duration_seconds',
          help: 'Time from receiving a batch to its transaction committing.',
          labelNames: ['group'],
          buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
          registers,
        }),
    ),
    lag: shared(
      registry,
      'learnloop_consumer_lag_records',
      () =>
        new Gauge({
          name: 'learnloop_consumer_lag_records',
          help: 'Records between the last committed offset and the partition high watermark.',
          labelNames: ['group', 'topic', 'partition'],
          registers,
        }),
    ),
    outboxBacklog: shared(
      registry,
      'learnloop_outbox_backlog_records',
      () =>
        new Gauge({
          name: 'learnloop_outbox_backlog_records',
          help: 'Outbox rows committed but not yet published.',
          labelNames: ['producer'],
          registers,
        }),
    ),
    outboxOldestAge: shared(
      registry,
      'learnloop_outbox_oldest_record_age_seconds',
      () =>
        new Gauge({
          name: 'learnloop_outbox_oldest_record_age_seconds',
          help: 'Age of the oldest outbox row not yet published (0 when none waits): how far the relay is behind.',
          labelNames: ['producer'],
          registers,
        }),
    ),
    published: shared(
      registry,
      'learnloop_outbox_published_total',
      () =>
        new Counter({
          name: 'learnloop_outbox_published_total',
          help: 'Events the outbox relay published to Kafka.',
          labelNames: ['producer', 'topic'],
          registers,
        }),
    ),
    outboxParked: shared(
      registry,
      'learnloop_outbox_parked_total',
      () =>
        new Counter({
          name: 'learnloop_outbox_parked_total',
          help: 'Outbox rows Kafka can never accept (too large), moved to outbox_parked so the rows behind them go on.',
          labelNames: ['producer', 'topic'],
          registers,
        }),
    ),
  };
}
