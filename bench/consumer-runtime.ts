// Records per second through the consumer runtime (decode, validate, dedupe, a trivial handler, one Postgres
// transaction per batch with the offsets) beside a raw kafkajs consumer of the same topic, in the same run.
// Target (issue 3): the runtime at least 50% of raw. Usage: node bench/consumer-runtime.ts [records]
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { createKafka } from '../lib/kafka/client.ts';
import { startConsumerRuntime } from '../lib/kafka/consumer-runtime.ts';
import { createSerde } from '../lib/kafka/serde.ts';
import { createLogger } from '../lib/logging.ts';
import { createRuntimeTopics, produceRuns, runCompleted, topicPrefix } from '../test/helpers/kafka-topics.ts';
import { benchConnection, benchDatabase, machine } from './support.ts';

const records = Number(process.argv[2] ?? 100_000);
const partitions = 4;
const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });

const connection = await benchConnection();
const kafka = createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'bench', logger });
const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });
const prefix = topicPrefix('bench-runtime');
const topic = `${prefix}.agent.run.completed.v1`;
await createRuntimeTopics(kafka, prefix, partitions);
process.stderr.write(`producing ${records} records to ${topic}\n`);
await produceRuns(
  kafka,
  serde,
  prefix,
  Array.from({ length: records }, (_, i) => runCompleted(`agent-${i % 1000}`, i)),
);

/** From the first record seen to the last: group joins are not part of throughput. */
async function rawConsumer(decode: boolean): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  const elapsed = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        first ||= performance.now();
        if (decode) for (const m of batch.messages) await serde.decode(m.value!);
        seen += batch.messages.length;
        if (seen >= records) resolve(performance.now() - first);
      },
    });
  });
  await consumer.disconnect();
  return elapsed;
}

async function runtimeConsumer(): Promise<number> {
  const database = await benchDatabase(connection.DATABASE_URL);
  const groupId = `bench-runtime-${randomUUID()}`;
  let first = 0;
  let handled = 0;
  const runtime = await startConsumerRuntime({
    groupId,
    topics: ['agent.run.completed.v1'],
    handler: async (_trx, events) => {
      first ||= performance.now();
      handled += events.length;
      return [];
    },
    kafka,
    db: database.db,
    databaseUrl: database.url,
    serde,
    logger,
    metrics: new Registry(),
    physicalName: (t) => `${prefix}.${t}`,
    relay: false,
  });
  for (;;) {
    const row = await database.db
      .selectFrom('consumer_offsets')
      .select((eb) => eb.fn.sum<string>('next_offset').as('n'))
      .where('group_id', '=', groupId)
      .executeTakeFirst();
    if (Number(row?.n ?? 0) >= records) break;
    await sleep(10);
  }
  const elapsed = performance.now() - first;
  await runtime.stop();
  await database.drop();
  if (handled !== records) throw new Error(`handled ${handled} of ${records}`);
  return elapsed;
}

/** The durable eventId check alone, with the runtime's SQL and batch size: the Postgres side's ceiling. */
async function dedupeOnly(): Promise<number> {
  const database = await benchDatabase(connection.DATABASE_URL);
  const ids = Array.from({ length: records }, () => randomUUID());
  const t0 = performance.now();
  for (let i = 0; i < ids.length; i += 6000) {
    await database.db.transaction().execute((trx) =>
      sql`INSERT INTO processed_events (group_id, event_id) SELECT ${'bench'}, unnest(${ids.slice(i, i + 6000)}::text[])
          ON CONFLICT (group_id, event_id) DO NOTHING RETURNING event_id`.execute(trx),
    );
  }
  const elapsed = performance.now() - t0;
  await database.drop();
  return elapsed;
}

const rate = (ms: number) => Math.round(records / (ms / 1000));
const raw = await rawConsumer(false);
const rawDecode = await rawConsumer(true);
const runtime = await runtimeConsumer();
const dedupe = await dedupeOnly();
process.stdout.write(`consumer runtime, ${records} records in ${partitions} partitions, ${machine()}\n`);
process.stdout.write(`raw kafkajs consumer (no decode)          ${String(rate(raw)).padStart(8)} records/s\n`);
process.stdout.write(`raw kafkajs consumer + Avro decode        ${String(rate(rawDecode)).padStart(8)} records/s\n`);
process.stdout.write(
  `consumer runtime (decode, validate, dedupe, handler, transactional commit) ${String(rate(runtime)).padStart(8)} records/s\n`,
);
process.stdout.write(`Postgres eventId dedupe alone (runtime's SQL) ${String(rate(dedupe)).padStart(8)} records/s\n`);
process.stdout.write(
  `runtime / raw: ${(raw / runtime).toFixed(2)} (target >= 0.50); runtime / raw+decode: ${(rawDecode / runtime).toFixed(2)}\n`,
);
