// signal-aggregator: events/s from topic to committed window state with 1,000 and with 100,000 agents, beside a raw
// kafkajs consumer of the same topic in the same run; p99 from producing the event that crosses a threshold to
// consuming the session it triggers, under 2,000 events/s of background traffic; memory per agent (resident in the
// process, and stored in Postgres). Targets (issue 4): >= 40% of raw, p99 < 1 s, < 2 KB per agent.
// Usage: node bench/aggregator.ts [events]
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import type { RunCompleted, SessionTriggered } from '../lib/contracts/types.generated.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { startConsumerRuntime } from '../lib/kafka/consumer-runtime.ts';
import { createSerde } from '../lib/kafka/serde.ts';
import { createLogger } from '../lib/logging.ts';
import { aggregatorHandler } from '../services/signal-aggregator/handler.ts';
import { aggregatorMetrics } from '../services/signal-aggregator/metrics.ts';
import { createCatalogTopics, produceRuns, runCompleted, topicPrefix } from '../test/helpers/kafka-topics.ts';
import { watchTopic } from '../test/helpers/watch-topic.ts';
import { benchConnection, benchDatabase, machine } from './support.ts';

const events = Number(process.argv[2] ?? 100_000);
const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });
const connection = await benchConnection();
const kafka = createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'bench-aggregator', logger });
const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });

async function topics(label: string): Promise<string> {
  const prefix = topicPrefix(label);
  await createCatalogTopics(kafka, prefix);
  return prefix;
}

async function rawRate(topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  const ms = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        first ||= performance.now();
        seen += batch.messages.length;
        if (seen >= count) resolve(performance.now() - first);
      },
    });
  });
  await consumer.disconnect();
  return count / (ms / 1000);
}

async function startAggregator(
  prefix: string,
  databaseUrl: string,
  db: Awaited<ReturnType<typeof benchDatabase>>['db'],
) {
  const metrics = new Registry();
  return startConsumerRuntime({
    groupId: `${prefix}.signal-aggregator`,
    topics: ['agent.run.completed.v1', 'agent.run.evaluated.v1'],
    handler: aggregatorHandler({ metrics: aggregatorMetrics(metrics), logger }),
    kafka: kafka as Kafka,
    db,
    databaseUrl,
    serde,
    logger,
    metrics,
    physicalName: (t) => `${prefix}.${t}`,
    dedupeEventIds: false,
  });
}

async function throughput(agents: number) {
  const prefix = await topics(`bench-agg-${agents}`);
  const topic = `${prefix}.agent.run.completed.v1`;
  await produceRuns(
    kafka,
    serde,
    prefix,
    Array.from({ length: events }, (_, i) => runCompleted(`agent-${i % agents}`, i)),
  );
  const raw = await rawRate(topic, events);
  const database = await benchDatabase(connection.DATABASE_URL);
  global.gc?.();
  const before = process.memoryUsage();
  const runtime = await startAggregator(prefix, database.url, database.db);
  let first = 0;
  for (;;) {
    const { rows } = await sql<{
      n: string | null;
    }>`SELECT sum(next_offset) AS n FROM consumer_offsets WHERE group_id = ${`${prefix}.signal-aggregator`} AND topic = ${topic}`.execute(
      database.db,
    );
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) first ||= performance.now();
    if (n >= events) break;
    await sleep(10);
  }
  const rate = events / ((performance.now() - first) / 1000);
  global.gc?.();
  const after = process.memoryUsage();
  const { rows } = await sql<{
    n: string;
    bytes: string;
  }>`SELECT count(*) AS n, avg(pg_column_size(state)) AS bytes FROM aggregator_windows`.execute(database.db);
  await runtime.stop();
  await database.drop();
  return {
    agents,
    raw,
    rate,
    rssPerAgent: (after.rss - before.rss) / agents,
    heapPerAgent: (after.heapUsed - before.heapUsed) / agents,
    storedBytes: Number(rows[0]?.bytes ?? 0),
    stored: Number(rows[0]?.n ?? 0),
  };
}

async function latency(): Promise<{ p50: number; p99: number; samples: number }> {
  const prefix = await topics('bench-agg-latency');
  const database = await benchDatabase(connection.DATABASE_URL);
  const runtime = await startAggregator(prefix, database.url, database.db);
  const watcher = await watchTopic<SessionTriggered>(kafka, serde, `${prefix}.learning.session.triggered.v1`);
  const victims = 60;
  // Each victim gets 49 failing runs up front: one short of minRuns, so its 50th failing run is the crossing event.
  const warm: RunCompleted[] = [];
  for (let v = 0; v < victims; v++)
    for (let i = 0; i < 49; i++) warm.push(runCompleted(`victim-${v}`, i, { status: 'failed' }));
  await produceRuns(kafka, serde, prefix, warm);
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const topic = `${prefix}.agent.run.completed.v1`;
  const sentAt = new Map<string, number>();
  let n = 0;
  const started = performance.now();
  // 2,000 events/s in 100 ms ticks over 1,000 healthy agents; every 400 ms one victim's crossing event.
  for (let tick = 0; tick < victims * 4; tick++) {
    const due = started + tick * 100;
    if (performance.now() < due) await sleep(due - performance.now());
    const batch = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const run = runCompleted(`agent-${n % 1000}`, 1000 + n++);
        return { key: run.agentId, value: await serde.encode('agent.run.completed.v1', run) };
      }),
    );
    if (tick % 4 === 0) {
      const victim = `victim-${tick / 4}`;
      const crossing = runCompleted(victim, 49, { status: 'failed' });
      batch.push({ key: victim, value: await serde.encode('agent.run.completed.v1', crossing) });
      sentAt.set(victim, Date.now());
    }
    await producer.send({ topic, messages: batch });
  }
  await producer.disconnect();
  await watcher.waitFor(victims, 30_000);
  const delays = watcher.seen.map((t) => t.at - sentAt.get(t.event.agentId)!).sort((a, b) => a - b);
  await watcher.stop();
  await runtime.stop();
  await database.drop();
  const at = (q: number) => delays[Math.min(delays.length - 1, Math.ceil(q * delays.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99), samples: delays.length };
}

const results = [await throughput(1000), await throughput(100_000)];
const lat = await latency();
process.stdout.write(`signal-aggregator, ${events} events per run, ${machine()}\n`);
for (const r of results) {
  process.stdout.write(
    `${String(r.agents).padStart(7)} agents: aggregator ${Math.round(r.rate).toString().padStart(7)} events/s, raw kafkajs ${Math.round(r.raw).toString().padStart(7)} events/s, ratio ${(r.rate / r.raw).toFixed(2)} (target >= 0.40); ` +
      `live heap ${Math.round(r.heapPerAgent)} B/agent, resident ${Math.round(r.rssPerAgent)} B/agent, stored ${Math.round(r.storedBytes)} B/agent over ${r.stored} windows (target < 2048)\n`,
  );
}
process.stdout.write(
  `trigger latency at 2,000 events/s: p50 ${lat.p50} ms, p99 ${lat.p99} ms over ${lat.samples} triggers (target p99 < 1000 ms)\n`,
);
process.exit(0);
