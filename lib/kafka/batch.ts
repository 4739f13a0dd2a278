import type { KafkaMessage } from 'kafkajs';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { TopicName, TopicValue } from '../contracts/types.generated.ts';
import { validateEvent } from '../contracts/validation.ts';
import type { Database } from '../db/schema.ts';
import { boundedError, deadLetterCarriesOriginal, maxIdBytes } from './limits.pure.ts';
import { writeEvents, type OutboxEntry } from './outbox.ts';
import { DecodeError, type Serde } from './serde.ts';

/** A record as a handler sees it: decoded, validated, seen for the first time by this consumer group. */
export interface ConsumedEvent {
  /** The logical topic (the catalog's name), whatever the physical topic is called. */
  topic: TopicName;
  partition: number;
  offset: number;
  key: string | null;
  eventId: string;
  value: unknown;
}

/** An event a handler wants published, to a catalog topic, keyed by agentId. */
export type EmittedEvent = { [T in TopicName]: { topic: T; key: string; value: TopicValue[T] } }[TopicName];

/**
 * A service's logic: given its transaction and the new events of one partition's batch, change its state (through
 * `trx`) and return the events to emit. The runtime commits both with the offsets, or neither.
 */
export type BatchHandler = (
  trx: Transaction<Database>,
  events: readonly ConsumedEvent[],
) => Promise<readonly EmittedEvent[]>;

export type DeadLetterReason = 'decode' | 'invalid' | 'handler';

export interface PreparedRecord {
  message: KafkaMessage;
  offset: number;
  event?: ConsumedEvent;
  deadLetter?: { reason: DeadLetterReason; error: string };
  /** The record's key is not its agentId (docs/producers.md: processed by its value, and counted). */
  badKey?: 'missing' | 'mismatch';
}

export interface BatchContext {
  groupId: string;
  topic: TopicName;
  physicalTopic: string;
  partition: number;
  serde: Serde;
  physicalName: (topic: TopicName) => string;
  dedupeEventIds: boolean;
}

/** The offsets the batch's transaction found stored did not match what this member expected: another member moved on. */
export class OffsetConflict extends Error {
  readonly stored: number | undefined;
  constructor(stored: number | undefined) {
    super(`offset conflict: stored ${stored}`);
    this.name = 'OffsetConflict';
    this.stored = stored;
  }
}

/** Decodes and validates each record; a record that cannot be decoded or is invalid becomes a dead letter. */
export async function prepare(ctx: BatchContext, messages: readonly KafkaMessage[]): Promise<PreparedRecord[]> {
  const out: PreparedRecord[] = [];
  for (const message of messages) {
    const offset = Number(message.offset);
    if (!message.value || message.value.length === 0) {
      out.push({
        message,
        offset,
        deadLetter: { reason: 'decode', error: 'empty value (a tombstone on a topic that has none)' },
      });
      continue;
    }
    let decoded: unknown;
    try {
      decoded = (await ctx.serde.decode(message.value)).value;
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      out.push({ message, offset, deadLetter: { reason: 'decode', error: err.message } });
      continue;
    }
    const valid = validateEvent(ctx.topic, decoded);
    if (!valid.ok) {
      out.push({ message, offset, deadLetter: { reason: 'invalid', error: valid.error } });
      continue;
    }
    const eventId = (decoded as { eventId?: unknown }).eventId;
    if (typeof eventId !== 'string' || eventId === '') {
      out.push({ message, offset, deadLetter: { reason: 'invalid', error: 'eventId: missing or empty' } });
      continue;
    }
    const agentId = (decoded as { agentId?: unknown }).agentId;
    const key = message.key?.toString();
    const badKey =
      typeof agentId !== 'string'
        ? undefined
        : key === undefined
          ? 'missing'
          : key !== agentId
            ? 'mismatch'
            : undefined;
    out.push({
      message,
      offset,
      ...(badKey && { badKey }),
      event: {
        topic: ctx.topic,
        partition: ctx.partition,
        offset,
        key: message.key?.toString() ?? null,
        eventId,
        value: decoded,
      },
    });
  }
  return out;
}

/**
 * The dead letter of one record. One too large to travel inside it (a dead letter wraps the record, so a record just
 * under the broker's limit would make one over it, which the relay could never publish) keeps its original bytes in
 * Postgres, in the same transaction, and says where.
 */
async function deadLetterEntry(
  trx: Transaction<Database>,
  ctx: BatchContext,
  record: PreparedRecord,
  failure: string,
): Promise<OutboxEntry> {
  const eventId = `dlq:${ctx.groupId}:${ctx.physicalTopic}:${ctx.partition}:${record.offset}`;
  const error = boundedError(failure);
  const key = record.message.key ?? null;
  const value = record.message.value ?? Buffer.alloc(0);
  const carries = deadLetterCarriesOriginal(key, value, error);
  if (!carries) {
    await trx
      .insertInto('dead_letter_payloads')
      .values({ id: eventId, key, value })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  const shownKey = carries || (key?.length ?? 0) <= maxIdBytes ? key : null;
  const encoded = await ctx.serde.encode('learning.dlq.v1', {
    eventId,
    key: shownKey,
    value: carries ? value : Buffer.alloc(0),
    error,
    sourceTopic: ctx.physicalTopic,
    sourcePartition: ctx.partition,
    sourceOffset: record.offset,
    failedAt: new Date(),
    consumerGroup: ctx.groupId,
    storedPayloadId: carries ? null : eventId,
  });
  return { topic: ctx.physicalName('learning.dlq.v1'), key: shownKey, value: encoded, eventId };
}

/**
 * Claims the partition's stored offset for this transaction (row lock), checking it is the one this member expected:
 * after a rebalance, a member still finishing a batch for a partition it lost finds the offset moved and changes
 * nothing. A partition with no stored offset yet is claimed at the batch's first offset.
 */
async function claimOffset(trx: Transaction<Database>, ctx: BatchContext, expected: number): Promise<void> {
  await trx
    .insertInto('consumer_offsets')
    .values({ group_id: ctx.groupId, topic: ctx.physicalTopic, partition: ctx.partition, next_offset: expected })
    .onConflict((oc) => oc.columns(['group_id', 'topic', 'partition']).doNothing())
    .execute();
  const row = await trx
    .selectFrom('consumer_offsets')
    .select('next_offset')
    .where('group_id', '=', ctx.groupId)
    .where('topic', '=', ctx.physicalTopic)
    .where('partition', '=', ctx.partition)
    .forUpdate()
    .executeTakeFirst();
  if (row?.next_offset !== expected) throw new OffsetConflict(row?.next_offset);
}

/** Of `events`, those whose eventId this group has not processed before, recorded as processed now. */
async function firstSeen(
  trx: Transaction<Database>,
  groupId: string,
  events: readonly ConsumedEvent[],
): Promise<ConsumedEvent[]> {
  if (events.length === 0) return [];
  // One array parameter rather than a VALUES row per event: thousands of rows parse and plan in a fraction of the time.
  const { rows } = await sql<{ event_id: string }>`
    INSERT INTO processed_events (group_id, event_id)
    SELECT ${groupId}, unnest(${events.map((e) => e.eventId)}::text[])
    ON CONFLICT (group_id, event_id) DO NOTHING
    RETURNING event_id`.execute(trx);
  const fresh = new Set(rows.map((r) => r.event_id));
  // The same eventId twice within one batch: the first occurrence counts.
  return events.filter((e) => fresh.delete(e.eventId));
}

export interface CommitResult {
  processed: number;
  duplicates: number;
  deadLettered: Array<{ reason: DeadLetterReason }>;
}

/**
 * One Postgres transaction for `records` (consecutive, from `expected`): claim the offset, skip what was seen, run the
 * handler, write its events and the dead letters to the outbox, store the next offset.
 */
export async function commitRecords(
  db: Kysely<Database>,
  ctx: BatchContext,
  expected: number,
  records: readonly PreparedRecord[],
  handler: BatchHandler,
  handlerFailure?: { offset: number; error: string },
): Promise<CommitResult> {
  return db.transaction().execute(async (trx) => {
    await claimOffset(trx, ctx, expected);
    const candidates = records.filter((r) => r.event && r.offset !== handlerFailure?.offset).map((r) => r.event!);
    const fresh = ctx.dedupeEventIds ? await firstSeen(trx, ctx.groupId, candidates) : candidates;
    const emitted = fresh.length > 0 ? await handler(trx, fresh) : [];
    const deadLetters: OutboxEntry[] = [];
    const deadLettered: CommitResult['deadLettered'] = [];
    for (const record of records) {
      const failure =
        record.deadLetter ??
        (record.offset === handlerFailure?.offset
          ? { reason: 'handler' as const, error: handlerFailure.error }
          : undefined);
      if (!failure) continue;
      deadLetters.push(await deadLetterEntry(trx, ctx, record, failure.error));
      deadLettered.push({ reason: failure.reason });
    }
    await writeEvents(
      trx,
      { producer: ctx.groupId, serde: ctx.serde, physicalName: ctx.physicalName },
      emitted,
      deadLetters,
    );
    const next = records[records.length - 1]!.offset + 1;
    await trx
      .updateTable('consumer_offsets')
      .set({ next_offset: next, updated_at: sql`now()` })
      .where('group_id', '=', ctx.groupId)
      .where('topic', '=', ctx.physicalTopic)
      .where('partition', '=', ctx.partition)
      .execute();
    return { processed: fresh.length, duplicates: candidates.length - fresh.length, deadLettered };
  });
}
