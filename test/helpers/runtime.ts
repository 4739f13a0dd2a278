import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { sql, type Kysely } from 'kysely';
import type { RunCompleted } from '../../lib/contracts/types.generated.ts';
import type { Database } from '../../lib/db/schema.ts';
import type { TotalsRow } from '../fixtures/totals-service.ts';

/** Waits until the group has stored offsets up to the topic's end and its outbox is published. */
export async function waitUntilDrained(
  kafka: Kafka,
  db: Kysely<Database>,
  groupId: string,
  topic: string,
  timeoutMs = 120_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const target = ends.reduce((sum, e) => sum + Number(e.high), 0);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stored = await sql<{
        total: string | null;
      }>`SELECT sum(next_offset) AS total FROM consumer_offsets WHERE group_id = ${groupId} AND topic = ${topic}`
        .execute(db)
        .then((r) => Number(r.rows[0]?.total ?? 0))
        .catch(() => -1);
      const backlog = await sql<{ n: string }>`SELECT count(*) AS n FROM outbox WHERE producer = ${groupId}`
        .execute(db)
        .then((r) => Number(r.rows[0]?.n))
        .catch(() => -1);
      if (stored === target && backlog === 0) return;
      if (Date.now() > deadline)
        throw new Error(`not drained: stored ${stored} of ${target}, outbox backlog ${backlog}`);
      await sleep(200);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Runs and cost per agent, as the totals service should have counted them. */
export function expectedTotals(runs: readonly RunCompleted[]): Map<string, { runs: number; cost: number }> {
  const out = new Map<string, { runs: number; cost: number }>();
  for (const run of runs) {
    const t = out.get(run.agentId) ?? { runs: 0, cost: 0 };
    t.runs += 1;
    t.cost += run.costUsd;
    out.set(run.agentId, t);
  }
  return out;
}

export async function totals(db: Kysely<Database>): Promise<Map<string, { runs: number; cost: number }>> {
  const { rows } = await sql<TotalsRow>`SELECT agent_id, runs, cost_usd FROM test_run_totals`.execute(db);
  return new Map(rows.map((r) => [r.agent_id, { runs: Number(r.runs), cost: r.cost_usd }]));
}
