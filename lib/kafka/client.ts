import {
  Kafka,
  Partitioners,
  logLevel,
  type KafkaConfig,
  type LogEntry,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logging.ts';
import { kafkajsLogLevel } from './log-level.pure.ts';

const levelName: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export interface KafkaClientOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  /** kafkajs is chatty at INFO (every join and rebalance); WARN keeps the logs readable. */
  kafkaLogLevel?: logLevel;
  config?: Partial<KafkaConfig>;
  /** Where `learnloop_kafka_request_retries_total` is counted (attempts kafkajs failed and retried). */
  metrics?: Registry;
}

function retriesCounter(registry: Registry): Counter<'client'> {
  const name = 'learnloop_kafka_request_retries_total';
  return (
    (registry.getSingleMetric(name) as Counter<'client'> | undefined) ??
    new Counter({
      name,
      help: 'Kafka requests that failed and that the client retried (the final outcome is logged by its caller).',
      labelNames: ['client'],
      registers: [registry],
    })
  );
}

/** The one place a kafkajs client is built, so that the client library can be swapped behind lib/kafka. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  const retries = options.metrics ? retriesCounter(options.metrics) : undefined;
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: options.kafkaLogLevel ?? logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...fields } = entry;
        const shown = kafkajsLogLevel(levelName[level] ?? 'info', message, fields);
        if (shown.retry) retries?.inc({ client: options.clientId });
        log[shown.level](message, fields);
      },
    ...options.config,
  });
}

/**
 * Every learnloop producer: Java's partitioner (murmur2), so that an agentId lands in the same partition whoever
 * produced it (agent services in other languages, the relay, the router).
 */
export function createProducer(kafka: Kafka, config: ProducerConfig = {}): Producer {
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
}
