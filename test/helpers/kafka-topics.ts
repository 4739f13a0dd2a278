import { randomBytes, randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { RunCompleted, TopicName } from '../../lib/contracts/types.generated.ts';
import { applyTopics, waitForTopics } from '../../lib/contracts/topics-apply.ts';
import type { Serde } from '../../lib/kafka/serde.ts';

/**
 * A prefix that gives a test its own topics on a shared cluster, under the test run's id (test/setup/global-stack.ts),
 * which deletes the run's topics when it ends.
 */
export const topicPrefix = (label: string) =>
  `t-${process.env['LEARNLOOP_TEST_RUN'] ?? 'adhoc'}-${label}-${randomBytes(4).toString('hex')}`;

/** Every topic of the catalog under `prefix`, as `learnloop topics apply` makes them, ready to use. */
export async function createCatalogTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const applied = await applyTopics({ admin, prefix: `${prefix}.` });
    await waitForTopics(
      admin,
      applied.map((t) => t.topic),
    );
  } finally {
    await admin.disconnect();
  }
}

/** The topics a consumer runtime test needs: the input, the output, the DLQ, and the relay's positions. */
export async function createRuntimeTopics(kafka: Kafka, prefix: string, inputPartitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const name = (t: TopicName | 'learning.outbox.positions') => `${prefix}.${t}`;
    const topics = [
      { topic: name('agent.run.completed.v1'), numPartitions: inputPartitions },
      { topic: name('agent.run.assigned.v1'), numPartitions: 3 },
      { topic: name('learning.dlq.v1'), numPartitions: 1 },
      {
        topic: name('learning.outbox.positions'),
        numPartitions: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ];
    // kafkajs' own waitForLeaders is unreliable right after creation on Kafka 4; wait on metadata instead.
    await admin.createTopics({ waitForLeaders: false, topics });
    await waitForTopics(
      admin,
      topics.map((t) => t.topic),
    );
  } finally {
    await admin.disconnect();
  }
}

export function runCompleted(agentId: string, i: number, overrides: Partial<RunCompleted> = {}): RunCompleted {
  const completedAt = new Date(Date.UTC(2026, 10, 24, 0, 0, 0) + i * 10);
  return {
    eventId: randomUUID(),
    runId: `run-${agentId}-${i}`,
    agentId,
    agentVersionId: 'v1',
    experimentId: null,
    arm: null,
    status: 'succeeded',
    startedAt: new Date(completedAt.getTime() - 500),
    completedAt,
    latencyMs: 500,
    costUsd: (i % 100) / 1000,
    inputTokens: 100,
    outputTokens: 50,
    toolCalls: 1,
    toolErrors: 0,
    guardrailHits: [],
    userFeedback: null,
    unitId: null,
    ...overrides,
  };
}

/** Encodes and produces `runs` to the prefixed input topic, keyed by agentId, in chunks. */
export async function produceRuns(
  kafka: Kafka,
  serde: Serde,
  prefix: string,
  runs: readonly RunCompleted[],
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < runs.length; i += 2000) {
      const chunk = runs.slice(i, i + 2000);
      const messages = await Promise.all(
        chunk.map(async (run) => ({ key: run.agentId, value: await serde.encode('agent.run.completed.v1', run) })),
      );
      await producer.send({ topic: `${prefix}.agent.run.completed.v1`, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Every record of a topic, read committed, from the beginning to its current end. */
export async function readAll(
  kafka: Kafka,
  topic: string,
): Promise<Array<{ key: string | null; value: Buffer; partition: number; offset: number }>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const out: Array<{ key: string | null; value: Buffer; partition: number; offset: number }> = [];
  const remaining = new Set(ends.filter((e) => Number(e.high) > 0).map((e) => e.partition));
  if (remaining.size === 0) return out;
  const high = new Map(ends.map((e) => [e.partition, Number(e.high)]));
  const consumer = kafka.consumer({ groupId: `read-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const idle = setInterval(() => remaining.size === 0 && resolve(), 100);
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages)
            out.push({
              key: m.key?.toString() ?? null,
              value: m.value!,
              partition: batch.partition,
              offset: Number(m.offset),
            });
          // lastOffset counts the transaction markers, which also take offsets.
          if (Number(batch.lastOffset()) >= high.get(batch.partition)! - 1) remaining.delete(batch.partition);
          if (remaining.size === 0) {
            clearInterval(idle);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out;
}
