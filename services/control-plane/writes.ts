import type { Kysely, Transaction } from 'kysely';
import { lockAgent as lockAgentRow } from '../../lib/db/repositories/agents.ts';
import { appendAudit, type AuditEntry } from '../../lib/db/repositories/audit.ts';
import type { Agent, Database, JsonObject } from '../../lib/db/schema.ts';
import type { EmittedEvent } from '../../lib/kafka/batch.ts';
import { notFound, type Actor } from './api.pure.ts';

type Trx = Transaction<Database>;

/**
 * One request's writes. Row locks are the handler's to take (experiment before agent before approval, as the judge
 * takes them); the events and audit entries it produces are only collected, and written when it is done: the outbox
 * (its per-producer lock), then the audit chain (its one global head row, held until commit). Every request takes the
 * shared locks in this order, last, so requests cannot deadlock on them nor hold the chain while they wait for a row.
 */
export interface Work {
  trx: Trx;
  emit(events: readonly EmittedEvent[]): void;
  /** An entry of something a person did: the actor is the token's holder; the token is in the payload. */
  audit(
    actor: Actor,
    entry: { action: string; agentId: string | null; subjectType: string; subjectId: string; payload: JsonObject },
  ): void;
}

/** Postgres gave up one of two transactions waiting on each other: retrying the loser is safe, it wrote nothing. */
const retryable = (err: unknown) => ['40P01', '40001'].includes((err as { code?: string } | null)?.code ?? '');

export function transactor(
  db: Kysely<Database>,
  writeEvents: (trx: Trx, events: readonly EmittedEvent[]) => Promise<void>,
) {
  return async function transact<T>(work: (w: Work) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await db.transaction().execute(async (trx) => {
          const events: EmittedEvent[] = [];
          const audits: AuditEntry[] = [];
          const result = await work({
            trx,
            emit: (more) => void events.push(...more),
            audit: (actor, entry) =>
              void audits.push({
                actor: actor.name,
                action: entry.action,
                agent_id: entry.agentId,
                subject_type: entry.subjectType,
                subject_id: entry.subjectId,
                payload: { ...entry.payload, by: { tokenId: actor.tokenId, role: actor.role, source: actor.source } },
              }),
          });
          await writeEvents(trx, events);
          for (const entry of audits) await appendAudit(trx, entry);
          return result;
        });
      } catch (err) {
        if (attempt >= 2 || !retryable(err)) throw err;
      }
    }
  };
}

/** The agent, locked for the request's transaction (lib/db/repositories/agents.ts lockAgent), or 404. */
export async function lockAgent(trx: Trx, agentId: string): Promise<Agent> {
  const agent = await lockAgentRow(trx, agentId);
  if (!agent) throw notFound('agentId', 'agent', agentId);
  return agent;
}
