import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { avroType } from '../../../lib/contracts/schemas.ts';
import type { DeadLetter, RunAssigned } from '../../../lib/contracts/types.generated.ts';
import { createKafka } from '../../../lib/kafka/client.ts';
import { createSerde } from '../../../lib/kafka/serde.ts';
import { createLogger } from '../../../lib/logging.ts';
import { startTotalsService } from '../../fixtures/totals-service.ts';
import { createRuntimeTopics, produceRuns, readAll, runCompleted, topicPrefix } from '../../helpers/kafka-topics.ts';
import { expectedTotals, totals, waitUntilDrained } from '../../helpers/runtime.ts';
import { testConnection } from '../../setup/connection.ts';
import { useFreshDatabase } from '../../setup/database.ts';

const connection = testConnection();
const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });
const kafka = createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'runtime-test', logger });
const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });

function expectSameTotals(
  actual: Map<string, { runs: number; cost: number }>,
  expected: Map<string, { runs: number; cost: number }>,
) {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [agent, t] of expected) {
    expect(actual.get(agent)?.runs, agent).toBe(t.runs);
    expect(actual.get(agent)?.cost, agent).toBeCloseTo(t.cost, 9);
  }
}

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

describe('the consumer runtime', () => {
  const database = useFreshDatabase();

  it('processes every record once: state, emitted events and offsets agree, and duplicates have no effect', async () => {
    const prefix = topicPrefix('once');
    const groupId = `totals-${randomUUID()}`;
    await createRuntimeTopics(kafka, prefix, 3);
    const runs = Array.from({ length: 3000 }, (_, i) => runCompleted(`agent-${i % 17}`, i));
    await produceRuns(kafka, serde, prefix, runs);

    const metrics = new Registry();
    const { runtime, db } = await startTotalsService({
      brokers: connection.KAFKA_BROKERS.split(','),
      registryUrl: connection.SCHEMA_REGISTRY_URL,
      databaseUrl: database().url,
      prefix,
      groupId,
      logger,
      metrics,
    });
    try {
      await waitUntilDrained(kafka, db, groupId, `${prefix}.agent.run.completed.v1`);
      expectSameTotals(await totals(db), expectedTotals(runs));

      // The same events again (an upstream retry): no effect at all.
      await produceRuns(kafka, serde, prefix, runs.slice(0, 500));
      await waitUntilDrained(kafka, db, groupId, `${prefix}.agent.run.completed.v1`);
      expectSameTotals(await totals(db), expectedTotals(runs));
      expect(await metricValue(metrics, 'learnloop_consumer_duplicates_skipped_total')).toBe(500);
      expect(await metricValue(metrics, 'learnloop_consumer_records_processed_total')).toBe(3000);
      expect(runtime.ready()).toBe(true);
    } finally {
      await runtime.stop();
      await db.destroy();
    }

    const emitted = await readAll(kafka, `${prefix}.agent.run.assigned.v1`);
    const decoded = await Promise.all(
      emitted.map(async (m) => ({ key: m.key, value: (await serde.decode(m.value)).value as RunAssigned })),
    );
    expect(decoded).toHaveLength(runs.length);
    expect(new Set(decoded.map((d) => d.value.eventId)).size).toBe(runs.length);
    for (const { key, value } of decoded) expect(key).toBe(value.agentId);
    // Per key, in the order the runs were produced.
    const order = new Map(runs.map((r, i) => [r.runId, i]));
    for (const agent of new Set(runs.map((r) => r.agentId))) {
      const seq = decoded.filter((d) => d.key === agent).map((d) => order.get(d.value.runId)!);
      expect(seq).toEqual([...seq].sort((a, b) => a - b));
    }
  });

  it('sends each poison record to the DLQ with its reason and processes the records after it', async () => {
    const prefix = topicPrefix('poison');
    const groupId = `totals-${randomUUID()}`;
    await createRuntimeTopics(kafka, prefix, 1);
    const good = Array.from({ length: 40 }, (_, i) => runCompleted('agent-p', i));
    const poisonRun = runCompleted('agent-p', 99, { runId: 'run-that-breaks-the-handler' });

    // An Avro-valid record the zod rules reject (negative cost), framed with the registered schema's id.
    const validBytes = await serde.encode('agent.run.completed.v1', good[0]!);
    const schemaId = validBytes.readInt32BE(1);
    const invalid = Buffer.concat([
      validBytes.subarray(0, 5),
      avroType('agent.run.completed.v1').toBuffer({ ...runCompleted('agent-p', 98), costUsd: -1 }),
    ]);
    const unknownId = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), validBytes.subarray(5)]);
    const garbage = Buffer.from('definitely not avro');

    const producer = kafka.producer();
    await producer.connect();
    const topic = `${prefix}.agent.run.completed.v1`;
    const encodedGood = await Promise.all(good.map((r) => serde.encode('agent.run.completed.v1', r)));
    await producer.send({
      topic,
      messages: [
        ...encodedGood.slice(0, 10).map((value) => ({ key: 'agent-p', value })),
        { key: 'agent-p', value: garbage },
        ...encodedGood.slice(10, 20).map((value) => ({ key: 'agent-p', value })),
        { key: 'agent-p', value: unknownId },
        { key: 'agent-p', value: invalid },
        ...encodedGood.slice(20, 30).map((value) => ({ key: 'agent-p', value })),
        { key: 'agent-p', value: await serde.encode('agent.run.completed.v1', poisonRun) },
        ...encodedGood.slice(30).map((value) => ({ key: 'agent-p', value })),
      ],
    });
    await producer.disconnect();

    const metrics = new Registry();
    const { runtime, db } = await startTotalsService({
      brokers: connection.KAFKA_BROKERS.split(','),
      registryUrl: connection.SCHEMA_REGISTRY_URL,
      databaseUrl: database().url,
      prefix,
      groupId,
      poisonRunId: poisonRun.runId,
      logger: createLogger({ level: 'error', write: () => {} }),
      metrics,
    });
    try {
      await waitUntilDrained(kafka, db, groupId, topic);
      expectSameTotals(
        await totals(db).then((all) => new Map([...all].filter(([a]) => a === 'agent-p'))),
        expectedTotals(good),
      );
    } finally {
      await runtime.stop();
      await db.destroy();
    }
    const letters = await Promise.all(
      (await readAll(kafka, `${prefix}.learning.dlq.v1`)).map(
        async (m) => (await serde.decode(m.value)).value as DeadLetter,
      ),
    );
    expect(letters.map((l) => l.sourceOffset)).toEqual([10, 21, 22, 33]);
    expect(letters[0]!.error).toMatch(/magic byte|cannot decode/i);
    expect(letters[1]!.error).toMatch(/schema id|unknown|not found/i);
    expect(letters[2]!.error).toContain('costUsd');
    expect(letters[3]!.error).toContain('handler failed: cannot handle run run-that-breaks-the-handler');
    expect(letters[0]!.value.equals(garbage)).toBe(true);
    for (const letter of letters) {
      expect(letter).toMatchObject({ sourceTopic: topic, sourcePartition: 0, consumerGroup: groupId });
      expect(letter.key?.toString()).toBe('agent-p');
    }
    expect(schemaId).toBeGreaterThan(0);
    expect(await metricValue(metrics, 'learnloop_consumer_records_dead_lettered_total', { reason: 'decode' })).toBe(2);
    expect(await metricValue(metrics, 'learnloop_consumer_records_dead_lettered_total', { reason: 'invalid' })).toBe(1);
    expect(await metricValue(metrics, 'learnloop_consumer_records_dead_lettered_total', { reason: 'handler' })).toBe(1);
  });
});
