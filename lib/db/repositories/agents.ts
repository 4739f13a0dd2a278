import { contentHash } from '../../audit/canonical.ts';
import { asStored, jsonb } from '../json.ts';
import type { Agent, AgentVersion, Db, JsonInput } from '../schema.ts';

/**
 * An agent version's id: the content hash of its config, with the agent's id mixed in so that two agents with the same
 * config still have distinct versions. Computed over the config as jsonb will store it, so it can be recomputed from
 * the row.
 */
export function agentVersionId(agentId: string, config: JsonInput): string {
  return contentHash({ agent_id: agentId, config: asStored(config) });
}

/** Registers an agent, or returns the one already registered under `id` (its name unchanged). */
export async function registerAgent(db: Db, agent: { id: string; name: string; created_at?: Date }): Promise<Agent> {
  const inserted = await db
    .insertInto('agents')
    .values(agent)
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  return inserted ?? (await db.selectFrom('agents').selectAll().where('id', '=', agent.id).executeTakeFirstOrThrow());
}

export async function getAgent(db: Db, id: string): Promise<Agent | undefined> {
  return db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The agent, locked until the caller's transaction ends. Every write about an agent that must not interleave with
 * another (its policy, a pause, its live version, a new session or experiment) takes this lock, so that whichever
 * commits first, the other sees it.
 */
export async function lockAgent(trx: Db, id: string): Promise<Agent | undefined> {
  return trx.selectFrom('agents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/**
 * Registers a config snapshot as a version of the agent, idempotently: the same config gives the same id, and
 * registering it again returns the existing row with `created: false`.
 */
export async function registerAgentVersion(
  db: Db,
  version: { agent_id: string; config: JsonInput; created_at?: Date },
): Promise<{ version: AgentVersion; created: boolean }> {
  const id = agentVersionId(version.agent_id, version.config);
  const inserted = await db
    .insertInto('agent_versions')
    .values({ id, agent_id: version.agent_id, config: jsonb(version.config), created_at: version.created_at })
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { version: inserted, created: true };
  const existing = await db.selectFrom('agent_versions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return { version: existing, created: false };
}

export async function getAgentVersion(db: Db, id: string): Promise<AgentVersion | undefined> {
  return db.selectFrom('agent_versions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Makes `versionId` the agent's live version; the database refuses a version of another agent (foreign key). */
export async function setLiveVersion(db: Db, agentId: string, versionId: string): Promise<Agent | undefined> {
  return db
    .updateTable('agents')
    .set({ live_version_id: versionId })
    .where('id', '=', agentId)
    .returningAll()
    .executeTakeFirst();
}
