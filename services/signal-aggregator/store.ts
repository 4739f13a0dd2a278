import { sql, type Transaction } from 'kysely';
import { openSessionStatuses, type Database } from '../../lib/db/schema.ts';
import { activeStatuses } from '../../lib/experiments/status.pure.ts';
import { defaultPolicy, type LearningPolicy } from '../../lib/policy/policy.ts';
import { resolvePolicy } from '../../lib/policy/resolve.ts';
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
  await sql`INSERT INTO aggregator_windows (agent_id, state)
    SELECT id, ${JSON.stringify(emptyWindow())}::jsonb FROM unnest(${sorted}::text[]) AS id ORDER BY id
    ON CONFLICT (agent_id) DO NOTHING`.execute(trx);
  const { rows } = await sql<{ agent_id: string; state: AgentWindow }>`SELECT agent_id, state FROM aggregator_windows
    WHERE agent_id = ANY(${sorted}::text[]) ORDER BY agent_id FOR UPDATE`.execute(trx);
  return new Map(rows.map((r) => [r.agent_id, r.state]));
}

export async function saveWindows(trx: Trx, windows: ReadonlyMap<string, AgentWindow>): Promise<void> {
  if (windows.size === 0) return;
  const ids = [...windows.keys()];
  const states = ids.map((id) => JSON.stringify(windows.get(id)));
  await sql`UPDATE aggregator_windows AS w SET state = s.state::jsonb, updated_at = now()
    FROM unnest(${ids}::text[], ${states}::text[]) AS s(agent_id, state) WHERE w.agent_id = s.agent_id`.execute(trx);
}

/** Of `keys`, those not counted before, recorded as counted now. */
export async function firstCounted(trx: Trx, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { rows } = await sql<{ key: string }>`INSERT INTO aggregator_counted (key) SELECT unnest(${keys}::text[])
    ON CONFLICT (key) DO NOTHING RETURNING key`.execute(trx);
  return new Set(rows.map((r) => r.key));
}

/** Each agent's effective policy (its newest stored overrides over the defaults). */
export async function policiesOf(
  trx: Trx,
  agentIds: readonly string[],
  onInvalid: (agentId: string, errors: string[]) => void,
): Promise<Map<string, LearningPolicy>> {
  const { rows } = await sql<{
    agent_id: string;
    policy: unknown;
  }>`SELECT DISTINCT ON (agent_id) agent_id, policy FROM policies
    WHERE agent_id = ANY(${[...agentIds]}::text[]) ORDER BY agent_id, version DESC`.execute(trx);
  const out = new Map<string, LearningPolicy>();
  for (const { agent_id, policy } of rows) {
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
  const { rows } = await sql<{ session_id: string | null; experiment_id: string | null }>`SELECT
      (SELECT id FROM sessions WHERE agent_id = ${agentId} AND status = ANY(${[...openSessionStatuses]}::text[]) LIMIT 1) AS session_id,
      (SELECT id FROM experiments WHERE agent_id = ${agentId} AND status = ANY(${[...activeStatuses]}::text[]) LIMIT 1) AS experiment_id`.execute(
    trx,
  );
  return {
    paused: policy.paused,
    openSessionId: rows[0]?.session_id ?? null,
    runningExperimentId: rows[0]?.experiment_id ?? null,
    lastSessionAt: window.lastSessionAt,
  };
}
