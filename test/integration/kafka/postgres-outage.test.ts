import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunAssigned } from '../../../lib/contracts/types.generated.ts';
import { createDb } from '../../../lib/db/index.ts';
import { migrateToLatest } from '../../../lib/db/migrate.ts';
import { createKafka } from '../../../lib/kafka/client.ts';
import { createSerde } from '../../../lib/kafka/serde.ts';
import { createLogger } from '../../../lib/logging.ts';
import { startTotalsService } from '../../fixtures/totals-service.ts';
import { createRuntimeTopics, produceRuns, readAll, runCompleted, topicPrefix } from '../../helpers/kafka-topics.ts';
import { privatePostgres } from '../../helpers/private-postgres.ts';
import { totals, waitUntilDrained } from '../../helpers/runtime.ts';
import { testConnection } from '../../setup/connection.ts';

const connection = testConnection();
const quiet = createLogger({ level: 'error', write: () => {} });
const kafka = createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'outage-test', logger: quiet });
const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });

describe('Postgres stopped and restarted mid-stream', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('pauses, resumes when the database is back, and loses nothing', async () => {
    const postgres = await privatePostgres();
    cleanups.push(postgres.destroy);
    const admin = createDb({ url: postgres.url, max: 2 });
    cleanups.push(() => admin.destroy());
    await migrateToLatest(admin);

    const prefix = topicPrefix('pg-outage');
    const groupId = `totals-${randomUUID()}`;
    const topic = `${prefix}.agent.run.completed.v1`;
    await createRuntimeTopics(kafka, prefix, 2);
    const before = Array.from({ length: 2000 }, (_, i) => runCompleted(`agent-${i % 9}`, i));
    const during = Array.from({ length: 2000 }, (_, i) => runCompleted(`agent-${i % 9}`, 2000 + i));
    await produceRuns(kafka, serde, prefix, before);

    const metrics = new Registry();
    const { runtime, db } = await startTotalsService({
      brokers: connection.KAFKA_BROKERS.split(','),
      registryUrl: connection.SCHEMA_REGISTRY_URL,
      databaseUrl: postgres.url,
      prefix,
      groupId,
      logger: quiet,
      metrics,
    });
    cleanups.push(async () => {
      await runtime.stop();
      await db.destroy();
    });
    while (!runtime.ready()) await sleep(50);

    await postgres.stop();
    await produceRuns(kafka, serde, prefix, during);
    await sleep(3000);
    await postgres.start();

    await waitUntilDrained(kafka, admin, groupId, topic, 120_000);
    const all = [...before, ...during];
    const actual = await totals(admin);
    for (let a = 0; a < 9; a++)
      expect(actual.get(`agent-${a}`)?.runs).toBe(all.filter((r) => r.agentId === `agent-${a}`).length);

    const retries = (await metrics.getSingleMetric('learnloop_consumer_retries_total')?.get())?.values ?? [];
    expect(retries.find((v) => v.labels['cause'] === 'database')?.value ?? 0).toBeGreaterThan(0);

    const emitted = await readAll(kafka, `${prefix}.agent.run.assigned.v1`);
    const ids = await Promise.all(
      emitted.map(async (m) => ((await serde.decode(m.value)).value as RunAssigned).eventId),
    );
    expect(ids).toHaveLength(all.length);
    expect(new Set(ids).size).toBe(all.length);
  }, 240_000);
});
