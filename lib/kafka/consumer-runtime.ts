import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { TopicName } from '../contracts/types.generated.ts';
import type { Database } from '../db/schema.ts';
import type { Logger } from '../logging.ts';
import {
  OffsetConflict,
  commitRecords,
  prepare,
  type BatchContext,
  type BatchHandler,
  type PreparedRecord,
} from './batch.ts';
import { startOutboxRelay, type OutboxRelay } from './outbox-relay.ts';
import { backoffDelay, isTransient } from './retry.ts';
import { runtimeMetrics } from './runtime-metrics.ts';
import type { Serde } from './serde.ts';

export interface ConsumerRuntimeOptions {
  /** The consumer group, also the name under which its outbox is published. */
  groupId: string;
  topics: readonly TopicName[];
  handler: BatchHandler;
  kafka: Kafka;
  db: Kysely<Database>;
  databaseUrl: string;
  serde: Serde;
  logger: Logger;
  metrics: Registry;
  /** The physical topic of a catalog topic: identity in production; tests give each run its own topics. */
  physicalName?: (topic: TopicName | 'learning.outbox.positions') => string;
  /**
   * Partitions processed at once by this member (each still in order). Default 4: a batch spends most of its time
   * waiting for Postgres, and other partitions can use that time.
   */
  partitionsConsumedConcurrently?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Whether this process publishes the group's outbox (one relay per group is active across replicas). */
  relay?: boolean;
  /**
   * Whether the runtime drops events whose eventId this group processed before (default true). A handler that
   * deduplicates more strictly itself (the same run under any eventId) can turn it off and save a write per event.
   */
  dedupeEventIds?: boolean;
  /** kafkajs consumer settings (session timeout, heartbeat interval, fetch sizes). */
  consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
}

export interface ConsumerRuntime {
  /** True once the group has assigned this member its partitions. */
  ready(): boolean;
  /** False while this group's outbox rows wait and nothing is published (see OutboxRelay.healthy). */
  relayHealthy(): boolean;
  /** Stops fetching, lets the batch in flight commit, stops the relay. */
  stop(): Promise<void>;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Runs `handler` over the topics with the guarantees of docs/consumer-runtime.md: per batch one Postgres transaction holds the
 * handler's state changes, the events it emits (outbox) and the next offsets; Kafka's committed offsets only follow.
 * Records that cannot be decoded, are invalid, or make the handler fail go to learning.dlq.v1 and the partition moves
 * on; an unreachable database, registry or broker pauses the partition and retries it from its stored offset.
 */
export async function startConsumerRuntime(options: ConsumerRuntimeOptions): Promise<ConsumerRuntime> {
  const { groupId, db, serde, handler } = options;
  const log = options.logger.child({ component: 'consumer', group: groupId });
  const metrics = runtimeMetrics(options.metrics);
  const physicalName = options.physicalName ?? ((topic: string) => topic);
  const backoff = options.backoff ?? { initialMs: 200, maxMs: 15_000 };
  const logicalOf = new Map(options.topics.map((t) => [physicalName(t), t]));

  /** Where each assigned partition continues: the stored offset, kept in memory between batches. */
  const expectedOffsets = new Map<string, number>();
  const attempts = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let assigned = false;
  let stopping = false;

  const consumer: Consumer = options.kafka.consumer({
    ...options.consumerConfig,
    groupId,
    allowAutoTopicCreation: false,
    readUncommitted: false,
  });

  async function storedOffset(topic: string, partition: number): Promise<number | undefined> {
    const row = await db
      .selectFrom('consumer_offsets')
      .select('next_offset')
      .where('group_id', '=', groupId)
      .where('topic', '=', topic)
      .where('partition', '=', partition)
      .executeTakeFirst();
    return row?.next_offset;
  }

  /** Postgres, not Kafka, says where a partition continues: seek there whenever partitions are (re)assigned. */
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    expectedOffsets.clear();
    attempts.clear();
    assigned = true;
    void (async () => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const stored = await storedOffset(topic, partition);
          if (stored === undefined) continue;
          expectedOffsets.set(key(topic, partition), stored);
          consumer.seek({ topic, partition, offset: String(stored) });
        }
      }
    })().catch((err: unknown) =>
      log.warn('reading stored offsets after assignment failed; batches will re-check', { err }),
    );
  });

  function retryLater(topic: string, partition: number, offset: number, cause: string, err: unknown): void {
    const k = key(topic, partition);
    const attempt = attempts.get(k) ?? 0;
    attempts.set(k, attempt + 1);
    const delay = backoffDelay(attempt, backoff.initialMs, backoff.maxMs);
    metrics.retries.inc({ group: groupId, cause });
    log.warn('partition paused after a transient failure', {
      topic,
      partition,
      offset,
      cause,
      attempt,
      delayMs: delay,
      err,
    });
    consumer.pause([{ topic, partitions: [partition] }]);
    consumer.seek({ topic, partition, offset: String(offset) });
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopping) consumer.resume([{ topic, partitions: [partition] }]);
    }, delay);
    timers.add(timer);
  }

  function causeOf(err: unknown): string {
    const name = err instanceof Error ? err.name : '';
    if (name === 'RegistryUnavailableError') return 'registry';
    if (name.startsWith('Kafka')) return 'kafka';
    return 'database';
  }

  /** The records, committed together; if the handler fails on them, one at a time so that only the culprit is dead-lettered. */
  async function commit(ctx: BatchContext, expected: number, records: PreparedRecord[]): Promise<number> {
    const count = (result: Awaited<ReturnType<typeof commitRecords>>) => {
      metrics.processed.inc({ group: groupId, topic: ctx.topic }, result.processed);
      metrics.duplicates.inc({ group: groupId, topic: ctx.topic }, result.duplicates);
      for (const { reason } of result.deadLettered)
        metrics.deadLettered.inc({ group: groupId, topic: ctx.topic, reason });
    };
    try {
      count(await commitRecords(db, ctx, expected, records, handler));
      return records[records.length - 1]!.offset + 1;
    } catch (err) {
      if (isTransient(err) || err instanceof OffsetConflict || records.length === 0) throw err;
      log.warn('handler failed on a batch; retrying its records one at a time', {
        topic: ctx.topic,
        partition: ctx.partition,
        err,
      });
    }
    let next = expected;
    for (const record of records) {
      try {
        count(await commitRecords(db, ctx, next, [record], handler));
      } catch (err) {
        if (isTransient(err) || err instanceof OffsetConflict) throw err;
        const error = err instanceof Error ? `handler failed: ${err.message}` : `handler failed: ${String(err)}`;
        count(await commitRecords(db, ctx, next, [record], handler, { offset: record.offset, error }));
      }
      next = record.offset + 1;
    }
    return next;
  }

  async function eachBatch({
    batch,
    heartbeat,
    isRunning,
    isStale,
    resolveOffset,
    commitOffsetsIfNecessary,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const logical = logicalOf.get(topic);
    if (!logical || !isRunning() || isStale()) return;
    const k = key(topic, partition);
    const started = process.hrtime.bigint();
    let expected = expectedOffsets.get(k) ?? (await storedOffset(topic, partition).catch(() => undefined));
    const messages = batch.messages.filter((m) => expected === undefined || Number(m.offset) >= expected);
    if (messages.length === 0) return;
    expected ??= Number(messages[0]!.offset);
    metrics.consumed.inc({ group: groupId, topic: logical }, messages.length);
    const ctx: BatchContext = {
      groupId,
      topic: logical,
      physicalTopic: topic,
      partition,
      serde,
      physicalName,
      dedupeEventIds: options.dedupeEventIds ?? true,
    };
    try {
      const prepared = await prepare(ctx, messages);
      const next = await commit(ctx, expected, prepared);
      for (const { badKey } of prepared)
        if (badKey) metrics.badKeys.inc({ group: groupId, topic: logical, reason: badKey });
      expectedOffsets.set(k, next);
      attempts.delete(k);
      resolveOffset(String(next - 1));
      metrics.lag.set(
        { group: groupId, topic: logical, partition: String(partition) },
        Math.max(0, Number(batch.highWatermark) - next),
      );
      metrics.batchDuration.observe({ group: groupId }, Number(process.hrtime.bigint() - started) / 1e9);
      await heartbeat();
      // Kafka's committed offsets trail Postgres's and only help tooling see the lag; a failure here loses nothing.
      await commitOffsetsIfNecessary().catch((err: unknown) =>
        log.debug('committing offsets to Kafka failed', { err }),
      );
    } catch (err) {
      if (err instanceof OffsetConflict) {
        expectedOffsets.delete(k);
        if (err.stored !== undefined) expectedOffsets.set(k, err.stored);
        retryLater(topic, partition, err.stored ?? expected, 'conflict', err);
        return;
      }
      // Not a property of one record (those are dead-lettered): a bug or an outage; retrying keeps the order and is loud.
      if (!isTransient(err)) log.error('batch failed unexpectedly; retrying', { topic, partition, err });
      expectedOffsets.delete(k);
      retryLater(topic, partition, expected, isTransient(err) ? causeOf(err) : 'unexpected', err);
    }
  }

  let relay: OutboxRelay | undefined;
  if (options.relay ?? true) {
    relay = startOutboxRelay({
      producer: groupId,
      kafka: options.kafka,
      db,
      databaseUrl: options.databaseUrl,
      positionsTopic: physicalName('learning.outbox.positions'),
      logger: options.logger,
      metrics,
    });
  }

  await consumer.connect();
  for (const topic of options.topics) await consumer.subscribe({ topic: physicalName(topic), fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
    eachBatch,
  });

  return {
    ready: () => assigned,
    relayHealthy: () => relay?.healthy() ?? true,
    stop: async () => {
      stopping = true;
      for (const timer of timers) clearTimeout(timer);
      await consumer.disconnect();
      await relay?.stop();
    },
  };
}
