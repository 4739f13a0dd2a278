import type { Db } from '../db/schema.ts';
import { getCurrentPolicy } from '../db/repositories/policies.ts';
import { defaultPolicy, type LearningPolicy } from './policy.ts';
import { resolvePolicy } from './resolve.ts';

export type EffectivePolicy =
  | { ok: true; policy: LearningPolicy; version: number }
  | { ok: false; version: number; errors: string[] };

/** An agent's policy in force: its newest stored overrides over the defaults (version 0: no overrides stored). */
export async function effectivePolicy(db: Db, agentId: string): Promise<EffectivePolicy> {
  const stored = await getCurrentPolicy(db, agentId);
  if (!stored) return { ok: true, policy: defaultPolicy, version: 0 };
  const resolved = resolvePolicy(stored.policy);
  return resolved.ok
    ? { ok: true, policy: resolved.policy, version: stored.version }
    : { ok: false, version: stored.version, errors: resolved.errors };
}
