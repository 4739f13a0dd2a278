import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { writeOutbox } from '../../../lib/kafka/outbox.ts';
import { startOutboxRelay } from '../../../lib/kafka/outbox-relay.ts';
import { runtimeMetrics } from '../../../lib/kafka/runtime-metrics.ts';
import { createLogger } from '../../../lib/logging.ts';
import { createRuntimeTopics, readAll, topicPrefix } from '../../helpers/kafka-topics.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { useFreshDatabase } from '../../setup/database.ts';

const { kafka } = testClients('outbox-relay-test');
const database = useFreshDatabase();
const cleanup = useCleanups();

describe('the outbox relay', () => {
  it('publishes rows committed while it is publishing others without waiting for its poll: no notification is lost', async () => {
    const prefix = topicPrefix('relay');
    await createRuntimeTopics(kafka, prefix, 1);
    const producer = `${prefix}.writer`;
    const topic = `${prefix}.agent.run.assigned.v1`;
    // An hour between polls: a row whose notification were lost would not be published within this test.
    const relay = startOutboxRelay({
      producer,
      kafka,
      db: database().db,
      databaseUrl: database().url,
      positionsTopic: `${prefix}.learning.outbox.positions`,
      logger: createLogger({ level: 'error', write: (line) => process.stderr.write(line) }),
      metrics: runtimeMetrics(new Registry()),
      pollMs: 3_600_000,
    });
    cleanup(() => relay.stop());
    await sleep(2000);

    // Bursts of ten concurrent writers (the producer's lock makes them commit one after another, back to back): the
    // later commits of a burst land while the relay is publishing the earlier ones.
    const bursts = 20;
    const count = bursts * 10;
    const write = (i: number) =>
      database()
        .db.transaction()
        .execute((trx) =>
          writeOutbox(trx, producer, [
            { topic, key: Buffer.from('agent'), value: Buffer.from(String(i)), eventId: `e-${i}` },
          ]),
        );
    for (let b = 0; b < bursts; b++) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => write(b * 10 + j)));
      await sleep(b % 5);
    }
    const last = await database()
      .db.selectFrom('outbox')
      .select((eb) => eb.fn.max('id').as('id'))
      .where('producer', '=', producer)
      .executeTakeFirst();
    const deadline = Date.now() + 30_000;
    while (relay.position() < (last?.id ?? Infinity) && Date.now() < deadline) await sleep(50);
    expect(relay.position()).toBe(last?.id);
    const published = await readAll(kafka, topic);
    expect(published.map((m) => m.value.toString()).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: count }, (_, i) => String(i)),
    );
  }, 60_000);
});
