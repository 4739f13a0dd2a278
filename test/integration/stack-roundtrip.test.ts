import { randomUUID } from 'node:crypto';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createDb } from '../../lib/db/index.ts';
import { createKafka } from '../../lib/kafka/client.ts';
import { createLogger } from '../../lib/logging.ts';
import { testConnection } from '../setup/connection.ts';

const connection = testConnection();
const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });
const kafka = createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'stack-test', logger });

describe('the stack integration tests run on', () => {
  it('Kafka: what is produced to a new topic is consumed back, in order per key', async () => {
    const topic = `test.roundtrip.${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const sent = Array.from({ length: 300 }, (_, i) => ({ key: `agent-${i % 7}`, value: `run-${i}` }));
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: Array<{ key: string; value: string }> = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push({ key: message.key!.toString(), value: message.value!.toString() });
          if (received.length === sent.length) resolve();
        },
      });
    });
    await consumer.disconnect();

    expect(received).toHaveLength(sent.length);
    for (const key of new Set(sent.map((m) => m.key))) {
      expect(received.filter((m) => m.key === key).map((m) => m.value)).toEqual(
        sent.filter((m) => m.key === key).map((m) => m.value),
      );
    }
  });

  it('the registry: a registered Avro schema round-trips a record in Confluent wire format and rejects an incompatible change', async () => {
    const subject = `test-${randomUUID()}-value`;
    const registry = new SchemaRegistry({ host: connection.SCHEMA_REGISTRY_URL });
    const schema = {
      type: 'record',
      name: 'Probe',
      namespace: 'learnloop.test',
      fields: [
        { name: 'eventId', type: 'string' },
        { name: 'score', type: 'double' },
      ],
    };
    const compat = await fetch(`${connection.SCHEMA_REGISTRY_URL}/config/${subject}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    expect(compat.status).toBe(200);
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });

    const record = { eventId: 'e-1', score: 0.75 };
    const bytes = await registry.encode(id, record);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect(await registry.decode(bytes)).toEqual(record);

    const incompatible = { ...schema, fields: [...schema.fields, { name: 'required', type: 'int' }] };
    await expect(
      registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(incompatible) }, { subject }),
    ).rejects.toThrow(/incompatible/i);
  });

  describe('Postgres', () => {
    interface Tables {
      probe: { id: number; label: string };
    }
    const db = createDb<Tables>({ url: connection.DATABASE_URL, max: 2 });
    const table = `probe_${randomUUID().replaceAll('-', '')}`;
    afterAll(async () => {
      await db.schema.dropTable(table).ifExists().execute();
      await db.destroy();
    });

    it('answers kysely queries: create, insert, select', async () => {
      await db.schema
        .createTable(table)
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('label', 'text', (c) => c.notNull())
        .execute();
      const typed = db.withTables<Record<string, Tables['probe']>>();
      await typed
        .insertInto(table)
        .values([
          { id: 1, label: 'one' },
          { id: 2, label: 'two' },
        ])
        .execute();
      const rows = await typed.selectFrom(table).selectAll().where('id', '>', 1).execute();
      expect(rows).toEqual([{ id: 2, label: 'two' }]);
      const { rows: version } = await sql<{ v: string }>`SELECT current_setting('server_version_num') AS v`.execute(db);
      expect(Number(version[0]?.v)).toBeGreaterThanOrEqual(140000);
    });
  });
});
