import { sql, type Transaction } from 'kysely';
import type { TopicName } from '../contracts/types.generated.ts';
import type { Database } from '../db/schema.ts';
import type { EmittedEvent } from './batch.ts';
import type { Serde } from './serde.ts';

export const outboxChannel = 'learnloop_outbox';

/** One encoded event waiting to be published. */
export interface OutboxEntry {
  topic: string;
  key: Buffer | null;
  value: Buffer;
  eventId: string;
  headers?: Record<string, string>;
}

/**
 * Adds events to the outbox inside the caller's transaction. The per-producer lock, held until commit, makes outbox ids
 * commit in increasing order: the relay never sees id 10 while id 9 is still uncommitted, so it can publish in id order
 * and never skip a row.
 */
export async function writeOutbox(
  trx: Transaction<Database>,
  producer: string,
  entries: readonly OutboxEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`outbox:${producer}`}, 0))`.execute(trx);
  await trx
    .insertInto('outbox')
    .values(
      entries.map((e) => ({
        producer,
        topic: e.topic,
        key: e.key,
        value: e.value,
        event_id: e.eventId,
        headers: JSON.stringify(e.headers ?? {}),
      })),
    )
    .execute();
  // Delivered at commit, so the relay wakes only for rows it can read.
  await sql`SELECT pg_notify(${outboxChannel}, ${producer})`.execute(trx);
}

/** Events as outbox entries: Avro in the registry's wire format, keyed by agentId, on their physical topics. */
async function outboxEntries(
  serde: Serde,
  physicalName: (topic: TopicName) => string,
  events: readonly EmittedEvent[],
): Promise<OutboxEntry[]> {
  const entries: OutboxEntry[] = [];
  for (const event of events) {
    entries.push({
      topic: physicalName(event.topic),
      key: Buffer.from(event.key, 'utf8'),
      value: await serde.encode(event.topic, event.value as never),
      eventId: (event.value as { eventId: string }).eventId,
    });
  }
  return entries;
}

/** A producer's outbox: its name (one relay publishes it) and how its events are encoded and where they go. */
export interface EventOutbox {
  producer: string;
  serde: Serde;
  physicalName: (topic: TopicName) => string;
}

/**
 * Writes events to the producer's outbox in the caller's transaction: the one way an event leaves a service (the relay
 * publishes it after the commit, exactly once). `encoded`: entries already in the wire format, after the events (dead
 * letters, which carry the original record as it was).
 */
export async function writeEvents(
  trx: Transaction<Database>,
  outbox: EventOutbox,
  events: readonly EmittedEvent[],
  encoded: readonly OutboxEntry[] = [],
): Promise<void> {
  const entries = await outboxEntries(outbox.serde, outbox.physicalName, events);
  await writeOutbox(trx, outbox.producer, [...entries, ...encoded]);
}
