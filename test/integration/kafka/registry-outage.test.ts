import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/logging.ts';
import { startTotalsService } from '../../fixtures/totals-service.ts';
import { testClients } from '../../helpers/clients.ts';
import { createRuntimeTopics, produceRuns, runCompleted, topicPrefix } from '../../helpers/kafka-topics.ts';
import { expectedTotals, totals, waitUntilDrained } from '../../helpers/runtime.ts';
import { useFreshDatabase } from '../../setup/database.ts';

const { shared, kafka, serde } = testClients('registry-outage-test');
const database = useFreshDatabase();

/** The registry behind a switch: while it is off, every request is refused with 503, as a registry restarting does. */
async function switchableRegistry(target: string): Promise<{ url: string; up: boolean; close(): Promise<void> }> {
  const state = { up: false };
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (!state.up) {
        res.writeHead(503).end('registry restarting');
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const base = new URL(target);
      const answer = await fetch(`${base.origin}${req.url}`, {
        method: req.method,
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/json',
          accept: req.headers.accept ?? '*/*',
        },
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      });
      res
        .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
        .end(Buffer.from(await answer.arrayBuffer()));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const path = new URL(target).pathname;
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

describe('the schema registry unreachable', () => {
  it('pauses the partitions, backs off, and processes everything once the registry is back', async () => {
    const prefix = topicPrefix('registry-outage');
    const groupId = `totals-${randomUUID()}`;
    const topic = `${prefix}.agent.run.completed.v1`;
    await createRuntimeTopics(kafka, prefix, 2);
    const runs = Array.from({ length: 500 }, (_, i) => runCompleted(`agent-${i % 5}`, i));
    await produceRuns(kafka, serde, prefix, runs);

    const registry = await switchableRegistry(shared.SCHEMA_REGISTRY_URL);
    const metrics = new Registry();
    const { runtime, db } = await startTotalsService({
      brokers: shared.KAFKA_BROKERS.split(','),
      registryUrl: registry.url,
      databaseUrl: database().url,
      prefix,
      groupId,
      logger: createLogger({ level: 'error', write: () => {} }),
      metrics,
    });
    try {
      // Nothing can be decoded: no record may be skipped, dead-lettered or counted meanwhile.
      await sleep(3000);
      const retries = (await metrics.getSingleMetric('learnloop_consumer_retries_total')?.get())?.values ?? [];
      expect(retries.find((v) => v.labels['cause'] === 'registry')?.value ?? 0).toBeGreaterThan(0);
      const stored = await db.selectFrom('consumer_offsets').selectAll().where('group_id', '=', groupId).execute();
      expect(stored.every((row) => row.next_offset === 0)).toBe(true);
      expect((await totals(db)).size).toBe(0);

      registry.up = true;
      await waitUntilDrained(kafka, db, groupId, topic, 60_000);
      const actual = await totals(db);
      for (const [agent, t] of expectedTotals(runs)) expect(actual.get(agent)?.runs, agent).toBe(t.runs);
      const dead =
        (await metrics.getSingleMetric('learnloop_consumer_records_dead_lettered_total')?.get())?.values ?? [];
      expect(dead.reduce((sum, v) => sum + v.value, 0)).toBe(0);
    } finally {
      await runtime.stop();
      await db.destroy();
      await registry.close();
    }
  }, 120_000);
});
