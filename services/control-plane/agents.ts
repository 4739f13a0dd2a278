import { randomUUID } from 'node:crypto';
import { getActiveExperiment } from '../../lib/db/repositories/experiments.ts';
import { getAgent, getAgentVersion, registerAgentVersion, setLiveVersion } from '../../lib/db/repositories/agents.ts';
import type { Agent } from '../../lib/db/schema.ts';
import { versionPromotedEvent } from '../../lib/experiments/promotion.pure.ts';
import { conflict, notFound, route, type Actor, type ApiContext } from './api.pure.ts';
import {
  agentDetailView,
  agentView,
  registerAgentBody,
  registerVersionBody,
  setLiveBody,
  versionView,
  type AgentView,
} from '../../lib/api/schemas.ts';
import { lockAgent, type Work } from './writes.ts';

function agentOf(agent: Agent): AgentView {
  return {
    id: agent.id,
    name: agent.name,
    liveVersionId: agent.live_version_id,
    createdAt: agent.created_at.toISOString(),
  };
}

/**
 * Makes a version live and tells the routers (learning.version.promoted.v1, mode manual). Refused while an experiment
 * is active: its baseline is the live version it started from, and moving that under it would compare the wrong arms.
 */
async function makeLive(
  work: Work,
  ctx: ApiContext,
  actor: Actor,
  agent: Agent,
  versionId: string,
  reason: string | null,
): Promise<boolean> {
  const { trx } = work;
  const version = await getAgentVersion(trx, versionId);
  if (!version || version.agent_id !== agent.id)
    throw notFound('versionId', `version of agent ${JSON.stringify(agent.id)}`, versionId);
  if (agent.live_version_id === versionId) return false;
  const active = await getActiveExperiment(trx, agent.id);
  if (active)
    throw conflict(
      `agent ${JSON.stringify(agent.id)} has experiment ${active.id} (${active.status}); its live version changes when the experiment ends`,
      'versionId',
    );
  await setLiveVersion(trx, agent.id, versionId);
  const promoted = versionPromotedEvent(
    {
      agentId: agent.id,
      previousVersionId: agent.live_version_id,
      promotedVersionId: versionId,
      promotedAt: ctx.now(),
      reason,
    },
    { by: 'hand', approver: actor.name, changeId: randomUUID() },
  );
  work.emit([{ topic: 'learning.version.promoted.v1', key: agent.id, value: promoted }]);
  work.audit(actor, {
    action: 'agent.live_version_set',
    agentId: agent.id,
    subjectType: 'version',
    subjectId: versionId,
    payload: { previousVersionId: agent.live_version_id, reason, eventId: promoted.eventId },
  });
  return true;
}

export const agentRoutes = [
  route({
    operationId: 'getAgent',
    method: 'GET',
    path: '/api/agents/{agentId}',
    permission: 'read',
    summary: 'an agent, its live version and its versions',
    responses: { 200: { description: 'the agent', schema: agentDetailView } },
    async handle({ params, ctx }) {
      const agent = await getAgent(ctx.db, params['agentId']!);
      if (!agent) throw notFound('agentId', 'agent', params['agentId']!);
      const versions = await ctx.db
        .selectFrom('agent_versions')
        .select(['id', 'created_at'])
        .where('agent_id', '=', agent.id)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return {
        status: 200,
        body: {
          ...agentOf(agent),
          versions: versions.map((v) => ({ id: v.id, createdAt: v.created_at.toISOString() })),
        },
      };
    },
  }),
  route({
    operationId: 'putAgent',
    method: 'PUT',
    path: '/api/agents/{agentId}',
    permission: 'agents.write',
    summary: 'register an agent (or rename it)',
    body: registerAgentBody,
    responses: {
      201: { description: 'registered', schema: agentView },
      200: { description: 'already registered (renamed if the name differs)', schema: agentView },
    },
    async handle({ params, body, actor, ctx }) {
      const agentId = params['agentId']!;
      return ctx.transact(async (work) => {
        // Inserted or not decides 201 or 200: of two concurrent registrations, one creates and the other finds it.
        const created = await work.trx
          .insertInto('agents')
          .values({ id: agentId, name: body.name ?? agentId })
          .onConflict((oc) => oc.column('id').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (created) {
          work.audit(actor, {
            action: 'agent.registered',
            agentId,
            subjectType: 'agent',
            subjectId: agentId,
            payload: { name: created.name },
          });
          return { status: 201, body: agentOf(created) };
        }
        const existing = await lockAgent(work.trx, agentId);
        if (body.name === undefined || body.name === existing.name) return { status: 200, body: agentOf(existing) };
        const renamed = await work.trx
          .updateTable('agents')
          .set({ name: body.name })
          .where('id', '=', agentId)
          .returningAll()
          .executeTakeFirstOrThrow();
        work.audit(actor, {
          action: 'agent.renamed',
          agentId,
          subjectType: 'agent',
          subjectId: agentId,
          payload: { from: existing.name, to: body.name },
        });
        return { status: 200, body: agentOf(renamed) };
      });
    },
  }),
  route({
    operationId: 'addVersion',
    method: 'POST',
    path: '/api/agents/{agentId}/versions',
    permission: 'agents.write',
    summary:
      "register a configuration snapshot as a version of the agent (idempotent: a version's id is its content hash)",
    body: registerVersionBody,
    responses: {
      201: { description: 'registered', schema: versionView },
      200: { description: 'already registered', schema: versionView },
    },
    async handle({ params, body, actor, ctx }) {
      return ctx.transact(async (work) => {
        const agent = await lockAgent(work.trx, params['agentId']!);
        const { version, created } = await registerAgentVersion(work.trx, { agent_id: agent.id, config: body.config });
        if (created)
          work.audit(actor, {
            action: 'agent.version_registered',
            agentId: agent.id,
            subjectType: 'version',
            subjectId: version.id,
            payload: { reason: body.reason ?? null },
          });
        if (body.live) await makeLive(work, ctx, actor, agent, version.id, body.reason ?? null);
        const live = body.live || agent.live_version_id === version.id;
        return {
          status: created ? 201 : 200,
          body: {
            id: version.id,
            agentId: agent.id,
            config: version.config,
            createdAt: version.created_at.toISOString(),
            created,
            live,
          },
        };
      });
    },
  }),
  route({
    operationId: 'setLiveVersion',
    method: 'POST',
    path: '/api/agents/{agentId}/live',
    permission: 'agents.write',
    summary: 'make a registered version the live one (refused while an experiment is active)',
    body: setLiveBody,
    responses: { 200: { description: 'the agent, with its live version', schema: agentView } },
    async handle({ params, body, actor, ctx }) {
      return ctx.transact(async (work) => {
        const agent = await lockAgent(work.trx, params['agentId']!);
        await makeLive(work, ctx, actor, agent, body.versionId, body.reason ?? null);
        return { status: 200, body: agentOf({ ...agent, live_version_id: body.versionId }) };
      });
    },
  }),
];
