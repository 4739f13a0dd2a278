import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicSpec } from '../../../lib/contracts/topics.ts';
import { applyTopics } from '../../../lib/contracts/topics-apply.ts';
import { EventValidationError } from '../../../lib/contracts/validation.ts';
import { createRunEventsProducer } from '../../../lib/index.ts';
import { createKafka } from '../../../lib/kafka/client.ts';
import { createSerde } from '../../../lib/kafka/serde.ts';
import { createLogger } from '../../../lib/logging.ts';
import { runCompleted, runEvaluated } from '../../fixtures/events.ts';
import { testConnection } from '../../setup/connection.ts';

const connection = testConnection();
const brokers = connection.KAFKA_BROKERS.split(',');
const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });
const kafka = createKafka({ brokers, clientId: 'contracts-producer-test', logger });
const admin = kafka.admin();
const topicPrefix = `test.${randomUUID().slice(0, 8)}.`;
const completedTopic = `${topicPrefix}agent.run.completed.v1`;
const evaluatedTopic = `${topicPrefix}agent.run.evaluated.v1`;

interface Received {
  topic: string;
  key: string;
  value: unknown;
}

/** Reads both topics from the beginning until `done` says enough, decoding every value. */
async function consumeUntil(done: (received: Received[]) => boolean): Promise<Received[]> {
  const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [completedTopic, evaluatedTopic], fromBeginning: true });
  const received: Received[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out with ${received.length} records`)), 45_000);
      void consumer.run({
        eachMessage: async ({ topic, message }) => {
          const { value } = await serde.decode(message.value as Buffer);
          received.push({ topic, key: message.key?.toString('utf8') ?? '', value });
          if (done(received)) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

describe('createRunEventsProducer against real Kafka and registry', () => {
  const producer = createRunEventsProducer({
    brokers,
    registryUrl: connection.SCHEMA_REGISTRY_URL,
    topicPrefix,
    logger,
  });

  beforeAll(async () => {
    await admin.connect();
    await applyTopics({
      admin,
      prefix: topicPrefix,
      topics: [topicSpec('agent.run.completed.v1'), topicSpec('agent.run.evaluated.v1')],
    });
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [completedTopic, evaluatedTopic] });
    await admin.disconnect();
  });

  it('sends valid events, keyed by agentId, that a consumer decodes back; an invalid one is refused and not sent', async () => {
    // Left out on purpose: the optional fields, which the producer fills with null.
    const {
      experimentId: _e,
      arm: _a,
      userFeedback: _u,
      unitId: _id,
      ...completed
    } = runCompleted({ agentId: 'agent-a' });
    const shadow = runCompleted({ agentId: 'agent-a', runId: completed.runId, arm: 'shadow', experimentId: 'exp-1' });
    const evaluated = runEvaluated({ agentId: 'agent-b', runId: completed.runId });
    await producer.sendRunCompleted(completed);
    await producer.sendRunCompleted(shadow);

    const invalid = runEvaluated({ agentId: 'agent-b', score: 1.01 });
    const refused = await producer.sendRunEvaluated(invalid).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(EventValidationError);
    expect((refused as Error).message).toMatch(/score: must be in \[0, 1\] \(got 1\.01\)/);
    const negative = await producer.sendRunCompleted(runCompleted({ costUsd: -1 })).catch((err: unknown) => err);
    expect((negative as Error).message).toMatch(/costUsd: must not be negative/);

    await producer.sendRunEvaluated(evaluated);
    const received = await consumeUntil((r) => r.length >= 3);

    // Exactly three records were written: the refused events never reached Kafka.
    const offsets = await Promise.all([completedTopic, evaluatedTopic].map((t) => admin.fetchTopicOffsets(t)));
    expect(offsets.flat().reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)).toBe(3);
    expect(received).toHaveLength(3);
    const completedOnes = received.filter((r) => r.topic === completedTopic);
    expect(completedOnes.map((r) => r.key)).toEqual(['agent-a', 'agent-a']);
    expect(completedOnes[0]?.value).toEqual({
      ...completed,
      experimentId: null,
      arm: null,
      userFeedback: null,
      unitId: null,
    });
    expect(completedOnes[1]?.value).toEqual(shadow);
    const evaluatedOnes = received.filter((r) => r.topic === evaluatedTopic);
    expect(evaluatedOnes).toEqual([{ topic: evaluatedTopic, key: 'agent-b', value: evaluated }]);
    expect(received.some((r) => (r.value as { eventId: string }).eventId === invalid.eventId)).toBe(false);
  });
});
