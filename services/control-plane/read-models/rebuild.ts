import type { Kafka } from 'kafkajs';
import { sql, type Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { TopicName } from '../../../lib/contracts/types.generated.ts';
import type { Database } from '../../../lib/db/schema.ts';
import type { Serde } from '../../../lib/kafka/serde.ts';
import type { Logger } from '../../../lib/logging.ts';
import { startReadModels } from '../control-plane.ts';
import { readModelTopics } from './fold.pure.ts';
import { readModelTables } from './projection.ts';

export interface RebuildOptions {
  db: Kysely<Database>;
  databaseUrl: string;
  kafka: Kafka;
  serde: Serde;
  physicalName: (name: TopicName | 'control-plane' | 'learning.outbox.positions') => string;
  logger: Logger;
  metrics: Registry;
  /** How long the replay may take before it gives up (the read models are then partly rebuilt; run it again). */
  timeoutMs: number;
}

export class RebuildError extends Error {}

/** Each partition of the read models' topics: where the replay starts (the earliest offset) and ends (the end now). */
async function partitionsOf(kafka: Kafka, topics: readonly string[]) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const found = [];
    for (const topic of topics)
      for (const p of await admin.fetchTopicOffsets(topic))
        found.push({ topic, partition: p.partition, low: Number(p.low), high: Number(p.high) });
    return found;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Empties the control plane's read models and replays their topics from the beginning into them, then returns: the
 * projection's offsets (in Postgres, where the consumer runtime keeps them) and its processed event ids are reset
 * with the tables in one transaction, and the projection runs until it has reached the end each partition had when
 * the rebuild started. The control plane must be stopped meanwhile: Kafka refuses to reset the offsets of a group
 * with a running member, and so does this.
 */
export async function rebuildReadModels(options: RebuildOptions): Promise<{ partitions: number; records: number }> {
  const group = options.physicalName('control-plane');
  const topics = readModelTopics.map((t) => options.physicalName(t));
  const admin = options.kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeGroups([group]);
    const members = described.groups[0]?.members.length ?? 0;
    if (members > 0)
      throw new RebuildError(
        `consumer group ${group} has ${members} running member(s): stop the control plane before rebuilding its read models`,
      );
    for (const topic of topics) await admin.resetOffsets({ groupId: group, topic, earliest: true });
  } finally {
    await admin.disconnect();
  }
  const partitions = await partitionsOf(options.kafka, topics);
  await options.db.transaction().execute(async (trx) => {
    for (const table of readModelTables) await sql`TRUNCATE ${sql.table(table)}`.execute(trx);
    await trx.deleteFrom('processed_events').where('group_id', '=', group).execute();
    await trx.deleteFrom('consumer_offsets').where('group_id', '=', group).execute();
    for (const p of partitions)
      await trx
        .insertInto('consumer_offsets')
        .values({ group_id: group, topic: p.topic, partition: p.partition, next_offset: p.low })
        .execute();
  });
  options.logger.info('read models emptied; replaying', { group, partitions: partitions.length });

  const runtime = await startReadModels(options);
  const deadline = Date.now() + options.timeoutMs;
  try {
    for (;;) {
      const rows = await options.db
        .selectFrom('consumer_offsets')
        .select(['topic', 'partition', 'next_offset'])
        .where('group_id', '=', group)
        .execute();
      const at = new Map(rows.map((r) => [`${r.topic}\u0000${r.partition}`, r.next_offset]));
      // The relays publish in Kafka transactions: the last offset of a partition is a commit marker, never delivered.
      const behind = partitions.filter((p) => (at.get(`${p.topic}\u0000${p.partition}`) ?? 0) < p.high - 1);
      if (behind.length === 0) break;
      if (Date.now() > deadline)
        throw new RebuildError(
          `the replay did not reach the end of ${behind.map((p) => `${p.topic}[${p.partition}]`).join(', ')} in ${options.timeoutMs} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await runtime.stop();
  }
  return { partitions: partitions.length, records: partitions.reduce((n, p) => n + (p.high - p.low), 0) };
}
