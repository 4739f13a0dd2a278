import type { Transaction } from 'kysely';
import { appendAudit } from '../../lib/db/repositories/audit.ts';
import type { Agent, Database, JsonObject } from '../../lib/db/schema.ts';
import { notFound, type Actor } from './api.ts';

type Trx = Transaction<Database>;

/**
 * The agent, locked until the transaction ends: every write about an agent (its policy, pause, live version) takes
 * this lock first, so that two of them cannot both read version n and one of them lose the other's change.
 */
export async function lockAgent(trx: Trx, agentId: string): Promise<Agent> {
  const agent = await trx.selectFrom('agents').selectAll().where('id', '=', agentId).forUpdate().executeTakeFirst();
  if (!agent) throw notFound('agentId', 'agent', agentId);
  return agent;
}

/** An audit entry of something a person did through the API: the actor is the token's holder; the token is in the payload. */
export async function auditAction(
  trx: Trx,
  actor: Actor,
  entry: { action: string; agentId: string | null; subjectType: string; subjectId: string; payload: JsonObject },
): Promise<void> {
  await appendAudit(trx, {
    actor: actor.name,
    action: entry.action,
    agent_id: entry.agentId,
    subject_type: entry.subjectType,
    subject_id: entry.subjectId,
    payload: { ...entry.payload, by: { tokenId: actor.tokenId, role: actor.role, source: actor.source } },
  });
}
