import { getCurrentPolicy, getPolicyVersion, putPolicy } from '../../lib/db/repositories/policies.ts';
import type { JsonObject, Policy } from '../../lib/db/schema.ts';
import { getAgent } from '../../lib/db/repositories/agents.ts';
import type { LearningPolicy } from '../../lib/policy/policy.ts';
import { resolvePolicy } from '../../lib/policy/resolve.ts';
import { conflict, invalid, notFound, route, type Actor } from './api.pure.ts';
import { policyQuery, policyView, setPolicyBody, type PolicyView } from '../../lib/api/schemas.ts';
import { lockAgent, type Work } from './writes.ts';

/** A stored policy version (or none: the defaults) as the API shows it: the effective policy and the overrides. */
export function policyOf(agentId: string, stored: Policy | undefined): PolicyView & { effective: LearningPolicy } {
  const overrides = (stored?.policy ?? {}) as JsonObject;
  const resolved = resolvePolicy(overrides);
  // Every version was validated when written; one that no longer resolves means the central rules changed under it.
  if (!resolved.ok)
    throw new Error(`stored policy ${agentId} v${stored?.version} no longer resolves: ${resolved.errors.join('; ')}`);
  return {
    agentId,
    version: stored?.version ?? 0,
    policy: resolved.policy as unknown as Record<string, unknown>,
    overrides,
    paused: resolved.policy.paused,
    createdAt: stored?.created_at.toISOString() ?? null,
    createdBy: stored?.created_by ?? null,
    effective: resolved.policy,
  };
}

/**
 * Writes the agent's next policy version (the agent is locked by the caller). `expectedVersion`: compare-and-set.
 * Every field is checked against the central rules; a problem is named by its field under `policy.`.
 */
async function writePolicy(
  work: Work,
  actor: Actor,
  input: { agentId: string; overrides: JsonObject; expectedVersion?: number; action: string; payload: JsonObject },
): Promise<Policy> {
  const resolved = resolvePolicy(input.overrides);
  if (!resolved.ok)
    throw invalid(
      resolved.issues.map((i) => ({
        field: i.field === '(policy)' ? 'policy' : `policy.${i.field}`,
        message: i.message,
      })),
    );
  return storePolicy(work, actor, input);
}

/**
 * Stores the next version as given, unchecked: for pause and resume, which change only the `paused` flag and must work
 * even if the central rules have since tightened under the agent's other overrides (an emergency is no time for a 400).
 */
export async function storePolicy(
  work: Work,
  actor: Actor,
  input: { agentId: string; overrides: JsonObject; expectedVersion?: number; action: string; payload: JsonObject },
): Promise<Policy> {
  const put = await putPolicy(work.trx, {
    agent_id: input.agentId,
    policy: input.overrides,
    created_by: actor.name,
    ...(input.expectedVersion === undefined ? {} : { expected_version: input.expectedVersion }),
  });
  if (!put.ok) throw conflict(`expectedVersion: the current version is ${put.currentVersion}`, 'expectedVersion');
  work.audit(actor, {
    action: input.action,
    agentId: input.agentId,
    subjectType: 'policy',
    subjectId: `${input.agentId}/${put.policy.version}`,
    payload: { ...input.payload, version: put.policy.version, overrides: input.overrides },
  });
  return put.policy;
}

const view = ({ effective: _effective, ...rest }: ReturnType<typeof policyOf>): PolicyView => rest;

export const policyRoutes = [
  route({
    operationId: 'getPolicy',
    method: 'GET',
    path: '/api/agents/{agentId}/learning/policy',
    permission: 'read',
    summary: "the agent's current policy (or ?version=N) with its version number",
    query: policyQuery,
    responses: { 200: { description: 'the policy', schema: policyView } },
    async handle({ params, query, ctx }) {
      const agentId = params['agentId']!;
      if (!(await getAgent(ctx.db, agentId))) throw notFound('agentId', 'agent', agentId);
      if (query.version === undefined)
        return { status: 200, body: view(policyOf(agentId, await getCurrentPolicy(ctx.db, agentId))) };
      const stored = await getPolicyVersion(ctx.db, agentId, query.version);
      if (!stored) throw notFound('version', `policy version of ${JSON.stringify(agentId)}`, String(query.version));
      return { status: 200, body: view(policyOf(agentId, stored)) };
    },
  }),
  route({
    operationId: 'setPolicy',
    method: 'POST',
    path: '/api/agents/{agentId}/learning/policy',
    permission: 'policy.write',
    summary:
      "set the agent's policy overrides as a new version (checked against the central rules: risk may only be tightened)",
    body: setPolicyBody,
    responses: { 201: { description: 'the new version', schema: policyView } },
    async handle({ params, body, actor, ctx }) {
      return ctx.transact(async (work) => {
        const agent = await lockAgent(work.trx, params['agentId']!);
        if ('paused' in body.policy)
          throw invalid([
            { field: 'policy.paused', message: 'is set by POST .../learning/pause and .../learning/resume' },
          ]);
        const current = await getCurrentPolicy(work.trx, agent.id);
        // A pause stays in force through policy edits: only resume lifts it.
        const paused = (current?.policy as JsonObject | undefined)?.['paused'] === true;
        const overrides = { ...(body.policy as JsonObject), ...(paused ? { paused: true } : {}) };
        const written = await writePolicy(work, actor, {
          agentId: agent.id,
          overrides,
          ...(body.expectedVersion === undefined ? {} : { expectedVersion: body.expectedVersion }),
          action: 'policy.updated',
          payload: { previousVersion: current?.version ?? 0, reason: body.reason ?? null },
        });
        return { status: 201, body: view(policyOf(agent.id, written)) };
      });
    },
  }),
];
