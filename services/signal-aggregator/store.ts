import { sql, type Transaction } from 'kysely';
import { openSessionStatuses, type Database } from '../../lib/db/schema.ts';
import { activeStatuses } from '../../lib/experiments/status.pure.ts';
import { defaultPolicy, type LearningPolicy } from '../../lib/policy/policy.ts';
import { resolvePolicy } from '../../lib/policy/resolve.ts';
import { getCurrentPolicies } from '../../lib/db/repositories/policies.ts';
import type { AgentSituation } from './thresholds.pure.ts';
import { emptyWindow, type AgentWindow } from './window.pure.ts';

type Trx = Transaction<Database>;

/**
 * The windows of `agentIds`, locked for this transaction in agent order (so that two batches touching the same agents,
 * from the completed and the evaluated topic, cannot deadlock). A placeholder row is inserted first for a new agent, so
 * that concurrent first events of one agent serialise on the row instead of overwriting each other.
 */
export async function lockWindows(trx: Trx, agentIds: readonly string[]): Promise<Map<string, AgentWindow>> {
  const sorted = [...new Set(agentIds)].sort();
  await trx
    .insertInto('aggregator_windows')
    .columns(['agent_id', 'state'])
    // One array parameter for all the batch's agents, in agent order.
    .expression(
      sql`SELECT id, ${JSON.stringify(emptyWindow())}::jsonb FROM unnest(${sorted}::text[]) AS id ORDER BY id`,
    )
    .onConflict((oc) => oc.column('agent_id').doNothing())
    .execute();
  const rows = await trx
    .selectFrom('aggregator_windows')
    .select(['agent_id', 'state'])
    .where((eb) => eb('agent_id', '=', eb.fn.any(eb.val(sorted))))
    .orderBy('agent_id')
    .forUpdate()
    .execute();
  return new Map(rows.map((r) => [r.agent_id, r.state as AgentWindow]));
}

export async function saveWindows(trx: Trx, windows: ReadonlyMap<string, AgentWindow>): Promise<void> {
  if (windows.size === 0) return;
  const ids = [...windows.keys()];
  const states = ids.map((id) => JSON.stringify(windows.get(id)));
  // UPDATE ... FROM unnest(...) AS s(columns): one array parameter per column, which kysely has no words for.
  await sql`UPDATE aggregator_windows AS w SET state = s.state::jsonb, updated_at = now()
    FROM unnest(${ids}::text[], ${states}::text[]) AS s(agent_id, state) WHERE w.agent_id = s.agent_id`.execute(trx);
}

/** Of `keys`, those not counted before, recorded as counted now. */
export async function firstCounted(trx: Trx, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await trx
    .insertInto('aggregator_counted')
    .columns(['key'])
    .expression(sql`SELECT unnest(${keys}::text[])`)
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key')
    .execute();
  return new Set(rows.map((r) => r.key));
}

/** Each agent's effective policy (its newest stored overrides over the defaults). */
export async function policiesOf(
  trx: Trx,
  agentIds: readonly string[],
  onInvalid: (agentId: string, errors: string[]) => void,
): Promise<Map<string, LearningPolicy>> {
  const out = new Map<string, LearningPolicy>();
  for (const { agent_id, policy } of (await getCurrentPolicies(trx, agentIds)).values()) {
    const resolved = resolvePolicy(policy);
    if (resolved.ok) out.set(agent_id, resolved.policy);
    else onInvalid(agent_id, resolved.errors);
  }
  for (const id of agentIds) if (!out.has(id)) out.set(id, defaultPolicy);
  return out;
}

/** The open session and running experiment of an agent (single flight), and its stored pause. */
export async function situationOf(
  trx: Trx,
  agentId: string,
  window: AgentWindow,
  policy: LearningPolicy,
): Promise<AgentSituation> {
  const row = await trx
    .selectNoFrom((eb) => [
      eb
        .selectFrom('sessions')
        .select('id')
        .where('agent_id', '=', agentId)
        .where('status', 'in', openSessionStatuses)
        .limit(1)
        .as('session_id'),
      eb
        .selectFrom('experiments')
        .select('id')
        .where('agent_id', '=', agentId)
        .where('status', 'in', activeStatuses)
        .limit(1)
        .as('experiment_id'),
    ])
    .executeTakeFirstOrThrow();
  return {
    paused: policy.paused,
    openSessionId: row.session_id,
    runningExperimentId: row.experiment_id,
    lastSessionAt: window.lastSessionAt,
  };
}
