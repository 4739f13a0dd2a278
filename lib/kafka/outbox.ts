import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';

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
export async function writeOutbox(trx: Transaction<Database>, producer: string, entries: readonly OutboxEntry[]): Promise<void> {
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
