import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Producer } from 'kafkajs';
import type { Kysely, Selectable } from 'kysely';
import pg from 'pg';
import { waitForTopics } from '../contracts/topics-apply.ts';
import type { Database, OutboxTable } from '../db/schema.ts';
import type { Logger } from '../logging.ts';
import { createSleeper } from '../sleeper.ts';
import { createProducer } from './client.ts';
import { maxRecordBytes } from './limits.pure.ts';
import { outboxChannel } from './outbox.ts';
import { takeBatch, tooLargeReason } from './outbox-batch.pure.ts';
import { backoffDelay } from './retry.ts';
import type { RuntimeMetrics } from './runtime-metrics.ts';

export interface OutboxRelayOptions {
  producer: string;
  kafka: Kafka;
  db: Kysely<Database>;
  databaseUrl: string;
  /** Compacted, one partition: the last outbox id published per producer, written in the same Kafka transaction. */
  positionsTopic: string;
  logger: Logger;
  metrics: RuntimeMetrics;
  batchSize?: number;
  /** Polled this often when no notification arrives (a notification can be missed while reconnecting). */
  pollMs?: number;
  /** How long rows may wait with nothing published before the relay reports itself unhealthy (readiness). */
  maxStallMs?: number;
}

type OutboxRow = Pick<Selectable<OutboxTable>, 'id' | 'topic' | 'key' | 'value' | 'headers' | 'event_id'>;

export interface OutboxRelay {
  stop(): Promise<void>;
  /** The highest outbox id known to be published. */
  position(): number;
  /**
   * True once this relay has found where to publish from and leads, or has found another replica leading: from then on
   * what is committed to the outbox is published at once (before, the first writes wait for the start-up).
   */
  started(): boolean;
  /** False while rows wait and nothing has been published for `maxStallMs`: the events a service owes are stuck. */
  healthy(): boolean;
}

/**
 * Publishes a producer's outbox to Kafka in id order, exactly once: each batch and the new position go out in one
 * Kafka transaction, so a relay that dies after Kafka committed and before Postgres heard resumes from the position in
 * Kafka instead of publishing again. One relay per producer is active (a session advisory lock); a second waits. The
 * transactional id is the producer's, so Kafka fences a relay that lost its lock but still runs.
 */
export function startOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { producer: name, logger, metrics } = options;
  const log = logger.child({ component: 'outbox-relay', producer: name });
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 1000;
  let stopped = false;
  let started = false;
  let upto = 0;
  let backlog = 0;
  let lastProgress = Date.now();
  // Rows up to this id are published one at a time (after the broker refused a batch as too large).
  let narrowUntil = 0;
  const maxStallMs = options.maxStallMs ?? 60_000;
  // A notification that arrives while a batch is being published must not be lost: the sleeper keeps it, and the next
  // wait returns at once (else the rows it announced would wait a whole poll interval).
  const idle = createSleeper();

  /** The position recorded in Kafka: the last committed marker for this producer. */
  async function positionInKafka(): Promise<number> {
    const admin = options.kafka.admin();
    await admin.connect();
    try {
      // The relay's own bookkeeping, not an event topic of the catalog: it creates it where it is missing.
      await admin.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic: options.positionsTopic,
            numPartitions: 1,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
      });
      await waitForTopics(admin, [options.positionsTopic]);
      const [end] = await admin.fetchTopicOffsets(options.positionsTopic);
      if (!end || Number(end.high) === 0) return 0;
      const high = Number(end.high);
      const consumer = options.kafka.consumer({
        groupId: `learnloop-outbox-recovery-${randomUUID()}`,
        readUncommitted: false,
      });
      await consumer.connect();
      let found = 0;
      try {
        await consumer.subscribe({ topic: options.positionsTopic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          // Read to the end: the batch holding offset high - 1 (lastOffset counts transaction markers), or, since a
          // fetch holding only a marker never reaches eachBatch, a second with nothing new.
          let idle = setTimeout(resolve, 1500);
          consumer
            .run({
              autoCommit: false,
              eachBatch: async ({ batch }) => {
                clearTimeout(idle);
                for (const message of batch.messages) {
                  if (message.key?.toString() === name && message.value)
                    found = Math.max(found, Number(message.value.toString()));
                }
                if (Number(batch.lastOffset()) >= high - 1) resolve();
                else idle = setTimeout(resolve, 1000);
              },
            })
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
      }
      return found;
    } finally {
      await admin.disconnect();
    }
  }

  async function positionInPostgres(): Promise<number> {
    const row = await options.db
      .selectFrom('outbox_positions')
      .select('published_upto')
      .where('producer', '=', name)
      .executeTakeFirst();
    return row?.published_upto ?? 0;
  }

  async function recordPosition(position: number): Promise<void> {
    await options.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('outbox_positions')
        .values({ producer: name, published_upto: position })
        .onConflict((oc) => oc.column('producer').doUpdateSet({ published_upto: position }))
        .execute();
      await trx.deleteFrom('outbox').where('producer', '=', name).where('id', '<=', position).execute();
    });
  }

  /** Moves a row Kafka can never accept out of the way, with the reason, so that the rows behind it go out. */
  async function park(row: OutboxRow, reason: string): Promise<void> {
    await options.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('outbox_parked')
        .values({
          id: row.id,
          producer: name,
          topic: row.topic,
          key: row.key,
          value: row.value,
          headers: JSON.stringify(row.headers),
          event_id: row.event_id,
          reason,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      await trx.deleteFrom('outbox').where('id', '=', row.id).execute();
    });
    metrics.outboxParked.inc({ producer: name, topic: row.topic });
    log.error('outbox row parked: Kafka will never accept it; the rows behind it go on', {
      outboxId: row.id,
      topic: row.topic,
      eventId: row.event_id,
      reason,
    });
  }

  /**
   * Publishes the next rows, at most a record's worth of bytes in one transaction. Returns whether more rows may be
   * waiting (so that the loop does not sleep on them).
   */
  async function publishBatch(kafkaProducer: Producer): Promise<boolean> {
    const rows = await options.db
      .selectFrom('outbox')
      .select(['id', 'topic', 'key', 'value', 'headers', 'event_id'])
      .where('producer', '=', name)
      .where('id', '>', upto)
      .orderBy('id')
      .limit(upto < narrowUntil ? 1 : batchSize)
      .execute();
    if (rows.length === 0) return false;
    const batch = takeBatch(rows, maxRecordBytes);
    if (batch.oversized) {
      await park(batch.oversized.row, `${batch.oversized.bytes} bytes, over the ${maxRecordBytes}-byte limit`);
      return true;
    }
    const byTopic = new Map<string, Array<{ key: Buffer | null; value: Buffer; headers: Record<string, string> }>>();
    for (const row of batch.rows) {
      const messages = byTopic.get(row.topic) ?? [];
      messages.push({ key: row.key, value: row.value, headers: { ...row.headers, eventId: row.event_id } });
      byTopic.set(row.topic, messages);
    }
    const last = batch.rows[batch.rows.length - 1]!.id;
    const transaction = await kafkaProducer.transaction();
    try {
      await transaction.sendBatch({
        topicMessages: [
          ...[...byTopic].map(([topic, messages]) => ({ topic, messages })),
          { topic: options.positionsTopic, messages: [{ key: name, value: String(last) }] },
        ],
      });
      await transaction.commit();
    } catch (err) {
      await transaction
        .abort()
        .catch((abortErr: unknown) => log.warn('aborting the Kafka transaction failed', { err: abortErr }));
      const tooLarge = tooLargeReason(err);
      if (tooLarge === undefined) throw err;
      // A topic may allow less than the broker's default: find the row one at a time, then park it alone.
      if (batch.rows.length > 1) narrowUntil = last;
      else await park(batch.rows[0]!, tooLarge);
      return true;
    }
    upto = last;
    for (const [topic, messages] of byTopic) metrics.published.inc({ producer: name, topic }, messages.length);
    await recordPosition(last);
    return rows.length === batchSize || batch.rows.length < rows.length;
  }

  async function updateBacklog(): Promise<void> {
    const row = await options.db
      .selectFrom('outbox')
      .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.min('created_at').as('oldest')])
      .where('producer', '=', name)
      .where('id', '>', upto)
      .executeTakeFirst();
    backlog = Number(row?.n ?? 0);
    if (backlog === 0) lastProgress = Date.now();
    metrics.outboxBacklog.set({ producer: name }, backlog);
    const oldest = row?.oldest ? new Date(row.oldest).getTime() : Date.now();
    metrics.outboxOldestAge.set({ producer: name }, Math.max(0, (Date.now() - oldest) / 1000));
  }

  /** Holds the lock and publishes until stopped or until something fails; the caller retries after a backoff. */
  async function lead(): Promise<void> {
    const session = new pg.Client({ connectionString: options.databaseUrl });
    session.on('error', (err) => log.warn('relay database session failed', { err }));
    await session.connect();
    let kafkaProducer: Producer | undefined;
    try {
      for (;;) {
        if (stopped) return;
        const { rows } = await session.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
          [`relay:${name}`],
        );
        if (rows[0]?.locked) break;
        started = true;
        await sleep(pollMs);
      }
      session.on('notification', (message) => {
        if (message.payload === name) idle.wake();
      });
      await session.query(`LISTEN ${outboxChannel}`);
      kafkaProducer = createProducer(options.kafka, {
        transactionalId: `learnloop-outbox-${name}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await kafkaProducer.connect();
      upto = Math.max(await positionInPostgres(), await positionInKafka());
      await recordPosition(upto);
      log.info('outbox relay leading', { position: upto });
      started = true;
      while (!stopped) {
        // Cleared before reading: whatever is notified from here on is either read by this batch or waited for.
        idle.reset();
        const more = await publishBatch(kafkaProducer);
        lastProgress = Date.now();
        await updateBacklog();
        if (!more && !stopped) await idle.sleep(pollMs);
      }
    } finally {
      await kafkaProducer
        ?.disconnect()
        .catch((err: unknown) => log.warn('disconnecting the relay producer failed', { err }));
      await session.end().catch((err: unknown) => log.warn('closing the relay session failed', { err }));
    }
  }

  const loop = (async () => {
    let attempt = 0;
    while (!stopped) {
      try {
        await lead();
        attempt = 0;
      } catch (err) {
        if (stopped) break;
        const delay = backoffDelay(attempt++, 200, 10_000);
        log.warn('outbox relay failed; retrying', { err, delayMs: delay });
        // The backlog must tell the truth while nothing is published (else it reads the last good figure).
        await updateBacklog().catch((backlogErr: unknown) =>
          log.debug('counting the outbox backlog failed', { err: backlogErr }),
        );
        await sleep(delay);
      }
    }
  })();

  return {
    position: () => upto,
    healthy: () => backlog === 0 || Date.now() - lastProgress < maxStallMs,
    started: () => started,
    stop: async () => {
      stopped = true;
      idle.close();
      await loop;
    },
  };
}
