import type { Producer } from 'kafkajs';
import { withDefaults } from '../contracts/schemas.ts';
import type { RunCompleted, RunEvaluated, TopicInput } from '../contracts/types.generated.ts';
import { EventValidationError, validateEvent } from '../contracts/validation.ts';
import { createLogger, type Logger } from '../logging.ts';
import { createKafka, createProducer } from './client.ts';
import { createSerde } from './serde.ts';

/** A RunCompleted as an agent service gives it: experimentId, arm, userFeedback and unitId may be left out (null). */
export type RunCompletedInput = TopicInput<'agent.run.completed.v1'>;
/** A RunEvaluated as an evaluator gives it: experimentId and arm may be left out (null). */
export type RunEvaluatedInput = TopicInput<'agent.run.evaluated.v1'>;

export interface RunEventsProducerOptions {
  /** host:port of one or more brokers. */
  brokers: readonly string[];
  /** The Confluent-compatible registry API, e.g. http://registry:8081 (Apicurio: .../apis/ccompat/v7). */
  registryUrl: string;
  clientId?: string;
  /** kafkajs warnings and errors go here; by default JSON lines on stderr. */
  logger?: Logger;
  /** Put before the topic names; for tests and shared clusters, normally unset. */
  topicPrefix?: string;
}

export interface RunEventsProducer {
  connect(): Promise<void>;
  /** Validates, encodes and sends; rejects with EventValidationError (naming the field) and sends nothing if invalid. */
  sendRunCompleted(event: RunCompletedInput): Promise<void>;
  sendRunEvaluated(event: RunEvaluatedInput): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * What an agent service (or evaluator) uses to publish its runs: Avro in the Confluent wire format, keyed by agentId,
 * through an idempotent producer that waits for all in-sync replicas.
 */
export function createRunEventsProducer(options: RunEventsProducerOptions): RunEventsProducer {
  const logger = options.logger ?? createLogger({ level: 'warn', write: (line) => process.stderr.write(line) });
  const kafka = createKafka({ brokers: options.brokers, clientId: options.clientId ?? 'learnloop-run-events', logger });
  // One request in flight keeps one agent's events in order even when a send is retried.
  const producer: Producer = createProducer(kafka, { idempotent: true, maxInFlightRequests: 1 });
  const serde = createSerde({ registryUrl: options.registryUrl });
  const prefix = options.topicPrefix ?? '';

  async function send<T extends 'agent.run.completed.v1' | 'agent.run.evaluated.v1'>(
    topic: T,
    input: TopicInput<T>,
  ): Promise<void> {
    const event = withDefaults(topic, input);
    const checked = validateEvent(topic, event);
    if (!checked.ok) throw new EventValidationError(topic, checked.error);
    const value = await serde.encode(topic, checked.value);
    const key = Buffer.from((checked.value as RunCompleted | RunEvaluated).agentId, 'utf8');
    await producer.send({ topic: `${prefix}${topic}`, acks: -1, messages: [{ key, value }] });
  }

  return {
    connect: () => producer.connect(),
    sendRunCompleted: (event) => send('agent.run.completed.v1', event),
    sendRunEvaluated: (event) => send('agent.run.evaluated.v1', event),
    disconnect: () => producer.disconnect(),
  };
}
