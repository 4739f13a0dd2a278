import {
  Kafka,
  Partitioners,
  logLevel,
  type KafkaConfig,
  type LogEntry,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import type { Logger } from '../logging.ts';

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
}

/** The one place a kafkajs client is built, so that the client library can be swapped behind lib/kafka. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: options.kafkaLogLevel ?? logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...fields } = entry;
        // kafkajs logs every error response ("Response GroupCoordinator ...") at ERROR, retriable ones included; the
        // caller sees the error that finally counts, so these are detail.
        const detail = typeof message === 'string' && message.startsWith('Response ');
        log[detail ? 'debug' : (levelName[level] ?? 'info')](message, fields);
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
