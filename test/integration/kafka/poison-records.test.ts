import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { DeadLetter } from '../../../lib/contracts/types.generated.ts';
import { createKafka } from '../../../lib/kafka/client.ts';
import { writeOutbox } from '../../../lib/kafka/outbox.ts';
import { startOutboxRelay } from '../../../lib/kafka/outbox-relay.ts';
import { runtimeMetrics } from '../../../lib/kafka/runtime-metrics.ts';
import { createSerde } from '../../../lib/kafka/serde.ts';
import { createLogger } from '../../../lib/logging.ts';
import { startTotalsService } from '../../fixtures/totals-service.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { createRuntimeTopics, produceRuns, readAll, runCompleted, topicPrefix } from '../../helpers/kafka-topics.ts';
import { totals, waitUntilDrained } from '../../helpers/runtime.ts';
import { testConnection } from '../../setup/connection.ts';
import { useFreshDatabase } from '../../setup/database.ts';

const connection = testConnection();
const logger = createLogger({ level: 'error', write: () => {} });
const kafka = createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'poison-test', logger });
const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });
const database = useFreshDatabase();
const cleanup = useCleanups();

async function metricValue(registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

describe('one record too large for a dead letter', () => {
  it('is kept in Postgres, its dead letter fits, and the records behind it are processed', async () => {
    const prefix = topicPrefix('poison');
    const groupId = `totals-${randomUUID()}`;
    // One partition: before the fix, everything behind the poison waited on it.
    await createRuntimeTopics(kafka, prefix, 1);
    const poison = randomBytes(1_040_000);
    poison[0] = 7; // not the wire format's magic byte: a decode failure, dead-lettered with the record inside
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${prefix}.agent.run.completed.v1`, messages: [{ key: 'agent-a', value: poison }] });
    // A careless producer's key: processed by its value, and counted.
    const misKeyed = await serde.encode('agent.run.completed.v1', runCompleted('agent-b', 99));
    await producer.send({
      topic: `${prefix}.agent.run.completed.v1`,
      messages: [{ key: 'someone-else', value: misKeyed }],
    });
    await producer.disconnect();
    const runs = Array.from({ length: 20 }, (_, i) => runCompleted('agent-b', i));
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
    cleanup(async () => {
      await runtime.stop();
      await db.destroy();
    });
    await waitUntilDrained(kafka, db, groupId, `${prefix}.agent.run.completed.v1`, 60_000);
    expect((await totals(db)).get('agent-b')?.runs).toBe(21);
    expect(await metricValue(metrics, 'learnloop_consumer_records_bad_key_total')).toBe(1);
    expect(runtime.relayHealthy()).toBe(true);

    const letters = await readAll(kafka, `${prefix}.learning.dlq.v1`);
    expect(letters).toHaveLength(1);
    const letter = (await serde.decode(letters[0]!.value)).value as DeadLetter;
    expect(letter.storedPayloadId).toBe(letter.eventId);
    expect(letter.value).toHaveLength(0);
    expect(letter.key?.toString()).toBe('agent-a');
    expect(letter.error).toMatch(/schema|magic|decode|wire/i);
    const stored = await db
      .selectFrom('dead_letter_payloads')
      .selectAll()
      .where('id', '=', letter.storedPayloadId!)
      .executeTakeFirstOrThrow();
    expect(Buffer.compare(stored.value, poison)).toBe(0);
    expect(stored.key?.toString()).toBe('agent-a');
    expect(await metricValue(metrics, 'learnloop_outbox_parked_total')).toBe(0);
  }, 90_000);
});

describe('the outbox relay and a row Kafka can never accept', () => {
  it('parks the row with its reason and publishes the rows behind it', async () => {
    const prefix = topicPrefix('park');
    await createRuntimeTopics(kafka, prefix, 1);
    const producer = `${prefix}.writer`;
    const topic = `${prefix}.agent.run.assigned.v1`;
    const big = randomBytes(1_100_000);
    await database()
      .db.transaction()
      .execute((trx) =>
        writeOutbox(trx, producer, [
          { topic, key: Buffer.from('agent'), value: Buffer.from('before'), eventId: 'e-before' },
          { topic, key: Buffer.from('agent'), value: big, eventId: 'e-big' },
          { topic, key: Buffer.from('agent'), value: Buffer.from('after'), eventId: 'e-after' },
        ]),
      );
    const registry = new Registry();
    const relay = startOutboxRelay({
      producer,
      kafka,
      db: database().db,
      databaseUrl: database().url,
      positionsTopic: `${prefix}.learning.outbox.positions`,
      logger,
      metrics: runtimeMetrics(registry),
    });
    cleanup(() => relay.stop());

    const deadline = Date.now() + 30_000;
    let published: Array<{ value: Buffer }> = [];
    while (published.length < 2 && Date.now() < deadline) {
      await sleep(250);
      published = relay.position() > 0 ? await readAll(kafka, topic) : [];
    }
    expect(published.map((m) => m.value.toString())).toEqual(['before', 'after']);
    const parked = await database().db.selectFrom('outbox_parked').selectAll().execute();
    expect(parked.map((p) => p.event_id)).toEqual(['e-big']);
    expect(parked[0]!.reason).toMatch(/over the 1000000-byte limit/);
    expect(Buffer.compare(parked[0]!.value, big)).toBe(0);
    expect(await metricValue(registry, 'learnloop_outbox_parked_total')).toBe(1);
    expect(relay.healthy()).toBe(true);
  }, 60_000);
});

describe('the outbox relay while it cannot publish', () => {
  it('counts the waiting rows and reports itself unhealthy after the stall limit', async () => {
    const producer = `stuck-${randomUUID()}`;
    await database()
      .db.transaction()
      .execute((trx) =>
        writeOutbox(trx, producer, [
          { topic: 'nowhere', key: null, value: Buffer.from('1'), eventId: 'e-1' },
          { topic: 'nowhere', key: null, value: Buffer.from('2'), eventId: 'e-2' },
        ]),
      );
    // A broker nobody listens on: every attempt fails at once.
    const unreachable = new Kafka({
      brokers: ['127.0.0.1:9'],
      clientId: 'stuck',
      retry: { retries: 0 },
      connectionTimeout: 200,
      logLevel: logLevel.NOTHING,
    });
    const registry = new Registry();
    const relay = startOutboxRelay({
      producer,
      kafka: unreachable,
      db: database().db,
      databaseUrl: database().url,
      positionsTopic: 'nowhere.positions',
      logger,
      metrics: runtimeMetrics(registry),
      maxStallMs: 500,
    });
    cleanup(() => relay.stop());
    const deadline = Date.now() + 20_000;
    while (relay.healthy() && Date.now() < deadline) await sleep(100);
    expect(relay.healthy()).toBe(false);
    expect(await metricValue(registry, 'learnloop_outbox_backlog_records')).toBe(2);
  }, 30_000);
});
