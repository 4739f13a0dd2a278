import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunAssigned, RunCompleted } from '../../../lib/contracts/types.generated.ts';
import { createKafka } from '../../../lib/kafka/client.ts';
import { createSerde } from '../../../lib/kafka/serde.ts';
import { createLogger } from '../../../lib/logging.ts';
import { createRuntimeTopics, produceRuns, readAll, runCompleted, topicPrefix } from '../../helpers/kafka-topics.ts';
import { expectedTotals, totals, waitUntilDrained } from '../../helpers/runtime.ts';
import { testConnection } from '../../setup/connection.ts';
import { useFreshDatabase } from '../../setup/database.ts';

const connection = testConnection();
const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });
const kafka = createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'crash-test', logger });
const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });
const service = fileURLToPath(new URL('../../fixtures/totals-service.ts', import.meta.url));

const RECORDS = 20_000;
const KILLS = 10;

describe('a consumer killed with SIGKILL again and again', () => {
  const database = useFreshDatabase();

  it(`ends with the same state and the same emitted events as a run without crashes (${RECORDS} records, ${KILLS} kills)`, async () => {
    const prefix = topicPrefix('crash');
    const groupId = `totals-${randomUUID()}`;
    await createRuntimeTopics(kafka, prefix, 4);
    const runs: RunCompleted[] = Array.from({ length: RECORDS }, (_, i) => runCompleted(`agent-${i % 50}`, i));
    await produceRuns(kafka, serde, prefix, runs);

    const env = {
      ...process.env,
      KAFKA_BROKERS: connection.KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: connection.SCHEMA_REGISTRY_URL,
      DATABASE_URL: database().url,
      TOPIC_PREFIX: prefix,
      GROUP_ID: groupId,
      // About 60 records a batch: each life of the process commits many transactions and is killed mid-stream.
      MAX_BYTES_PER_PARTITION: '16384',
    };
    const start = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', service], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await once(child.stdout!, 'data');
      return child;
    };
    const progress = async () =>
      Number(
        (
          await database()
            .db.selectFrom('consumer_offsets')
            .select((eb) => eb.fn.sum<string>('next_offset').as('n'))
            .where('group_id', '=', groupId)
            .executeTakeFirst()
        )?.n ?? 0,
      );

    // Kill at random moments, each time only once the process has made progress since the last kill (or a while has
    // passed), so that the kills land mid-stream: in batches, in commits, in the relay's transactions.
    const killedAt: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      const child = await start();
      const before = await progress();
      const deadline = Date.now() + 15_000;
      while ((await progress()) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, Math.random() * 150));
      child.kill('SIGKILL');
      await once(child, 'exit');
      killedAt.push(await progress());
    }
    // Every life made progress and the last kill still came before the end: the kills landed mid-stream.
    expect(killedAt.at(-1)!).toBeLessThan(RECORDS);
    for (let i = 1; i < killedAt.length; i++) expect(killedAt[i]!).toBeGreaterThan(killedAt[i - 1]!);

    const last = await start();
    try {
      await waitUntilDrained(kafka, database().db, groupId, `${prefix}.agent.run.completed.v1`, 300_000);
    } finally {
      last.kill('SIGTERM');
      await once(last, 'exit');
    }

    const expected = expectedTotals(runs);
    const actual = await totals(database().db);
    for (const [agent, t] of expected) {
      expect(actual.get(agent)?.runs, agent).toBe(t.runs);
      expect(actual.get(agent)?.cost, agent).toBeCloseTo(t.cost, 6);
    }

    const emitted = await readAll(kafka, `${prefix}.agent.run.assigned.v1`);
    const ids = await Promise.all(
      emitted.map(async (m) => ((await serde.decode(m.value)).value as RunAssigned).eventId),
    );
    expect(ids).toHaveLength(RECORDS);
    expect(new Set(ids)).toEqual(new Set(runs.map((r) => `assigned-${r.eventId}`)));
    process.stderr.write(`crash test: progress at each kill ${killedAt.join(', ')}\n`);
  }, 600_000);
});
