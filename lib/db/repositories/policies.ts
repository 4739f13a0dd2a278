import { jsonb } from '../json.ts';
import type { Db, Policy } from '../schema.ts';

export type PutPolicyResult =
  | { ok: true; policy: Policy }
  | { ok: false; reason: 'version_conflict'; currentVersion: number };

/** The agent's newest policy version, if it has one. */
export async function getCurrentPolicy(db: Db, agentId: string): Promise<Policy | undefined> {
  return db
    .selectFrom('policies')
    .selectAll()
    .where('agent_id', '=', agentId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The newest policy version of each of the agents that has one. */
export async function getCurrentPolicies(db: Db, agentIds: readonly string[]): Promise<Map<string, Policy>> {
  if (agentIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('policies')
    .selectAll()
    .distinctOn('agent_id')
    .where((eb) => eb('agent_id', '=', eb.fn.any(eb.val([...agentIds]))))
    .orderBy('agent_id')
    .orderBy('version', 'desc')
    .execute();
  return new Map(rows.map((r) => [r.agent_id, r]));
}

export async function getPolicyVersion(db: Db, agentId: string, version: number): Promise<Policy | undefined> {
  return db
    .selectFrom('policies')
    .selectAll()
    .where('agent_id', '=', agentId)
    .where('version', '=', version)
    .executeTakeFirst();
}

/** Every version, oldest first: rows are never updated or deleted (the database refuses). */
export async function listPolicyVersions(db: Db, agentId: string): Promise<Policy[]> {
  return db.selectFrom('policies').selectAll().where('agent_id', '=', agentId).orderBy('version', 'asc').execute();
}

async function currentVersion(db: Db, agentId: string): Promise<number> {
  const row = await db
    .selectFrom('policies')
    .select((eb) => eb.fn.max('version').as('version'))
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
  return row?.version ?? 0;
}

/**
 * Adds the next version of the agent's policy (the first is 1). With `expected_version` (0: the agent has none yet) it
 * is a compare-and-set: a concurrent writer that got there first yields `version_conflict`. Without it, a lost race is
 * retried, so the policy lands as the newest version. Uses ON CONFLICT, never a failed INSERT, so the caller's
 * transaction stays usable (under READ COMMITTED, where each retry sees the winner's row).
 */
export async function putPolicy(
  db: Db,
  input: { agent_id: string; policy: object; created_by: string; expected_version?: number },
): Promise<PutPolicyResult> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await currentVersion(db, input.agent_id);
    if (input.expected_version !== undefined && current !== input.expected_version) {
      return { ok: false, reason: 'version_conflict', currentVersion: current };
    }
    const inserted = await db
      .insertInto('policies')
      .values({
        agent_id: input.agent_id,
        version: current + 1,
        policy: jsonb(input.policy),
        created_by: input.created_by,
      })
      .onConflict((oc) => oc.columns(['agent_id', 'version']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return { ok: true, policy: inserted };
  }
  return { ok: false, reason: 'version_conflict', currentVersion: await currentVersion(db, input.agent_id) };
}
