import { getAgent } from '../../lib/db/repositories/agents.ts';
import { listAudit } from '../../lib/db/repositories/audit.ts';
import { getCurrentPolicy } from '../../lib/db/repositories/policies.ts';
import { getOpenSession } from '../../lib/db/repositories/sessions.ts';
import type { JsonObject } from '../../lib/db/schema.ts';
import { nextSlot } from '../../lib/policy/schedule.ts';
import { notFound, route, type Actor, type ApiContext, type Reply } from './api.ts';
import { listExperimentViews } from './experiment-read.ts';
import { changeActiveExperiment } from './experiment-state.ts';
import { policyOf, writePolicy } from './policy.ts';
import { sessionOf } from './sessions.ts';
import { experimentsQuery, experimentView, pauseBody, pauseView, resumeBody, statusView, type StatusView } from './schemas.ts';
import { auditAction, lockAgent } from './writes.ts';

/**
 * Pause and resume (DESIGN §5: the control plane pauses experiments), the experiments list and the status page's data.
 * A pause is two things written together: the policy's `paused` flag (no new session opens) and the active
 * experiment's status (the routers send all its traffic back to the baseline).
 */

/**
 * Pauses (or resumes) the agent: the policy's flag, then the active experiment, in one transaction. Resuming an
 * experiment paused by the judge (a sample-ratio mismatch) is the same act: a person looked and lets it go on.
 */
async function setPaused(ctx: ApiContext, actor: Actor, agentId: string, pause: boolean, reason: string | null): Promise<Reply> {
  return ctx.db.transaction().execute(async (trx) => {
    const agent = await lockAgent(trx, agentId);
    const current = policyOf(agent.id, await getCurrentPolicy(trx, agent.id));
    const { paused: _paused, ...rest } = current.overrides as JsonObject;
    const policyChanges = current.paused !== pause;
    const written = policyChanges
      ? await writePolicy(trx, actor, { agentId: agent.id, overrides: pause ? { ...rest, paused: true } : rest, action: 'policy.updated', payload: { previousVersion: current.version, reason } })
      : current;
    const experiment = await changeActiveExperiment(
      trx,
      ctx,
      agent.id,
      pause
        ? (e) => (e.status === 'running' || e.status === 'awaiting_approval' ? 'paused' : null)
        : (e) => (e.status === 'paused' ? (e.pendingApproval ? 'awaiting_approval' : 'running') : null),
      `${pause ? 'paused' : 'resumed'} by ${actor.name}${reason ? `: ${reason}` : ''}`,
    );
    const changed = policyChanges || experiment?.changed === true;
    const experimentView = experiment ? { id: experiment.id, status: experiment.status, version: experiment.version } : null;
    if (changed) {
      await auditAction(trx, actor, {
        action: pause ? 'learning.paused' : 'learning.resumed',
        agentId: agent.id,
        subjectType: 'agent',
        subjectId: agent.id,
        payload: { reason, policyVersion: written.version, experiment: experimentView },
      });
    }
    return { status: 200, body: { agentId: agent.id, paused: pause, changed, policyVersion: written.version, experiment: experimentView } };
  });
}

const reasonOf = (payload: unknown): string | null => {
  const reason = (payload as { reason?: unknown } | null | undefined)?.reason;
  return typeof reason === 'string' ? reason : null;
};

export const learningRoutes = [
  route({
    method: 'POST',
    path: '/api/agents/{agentId}/learning/pause',
    permission: 'learning.control',
    summary: 'pause continuous learning: no new session opens, and a running experiment serves the baseline only',
    body: pauseBody,
    responses: { 200: { description: 'paused (changed: false when it already was)', schema: pauseView } },
    handle: ({ params, body, actor, ctx }) => setPaused(ctx, actor, params['agentId']!, true, body.reason),
  }),
  route({
    method: 'POST',
    path: '/api/agents/{agentId}/learning/resume',
    permission: 'learning.control',
    summary: 'resume continuous learning, and a paused experiment (awaiting approval again if its request is still open)',
    body: resumeBody,
    responses: { 200: { description: 'resumed (changed: false when nothing was paused)', schema: pauseView } },
    handle: ({ params, body, actor, ctx }) => setPaused(ctx, actor, params['agentId']!, false, body.reason ?? null),
  }),
  route({
    method: 'GET',
    path: '/api/agents/{agentId}/learning/experiments',
    permission: 'read',
    summary: 'active and recent experiments: split, mode, arm counts, current statistics, latest decision',
    query: experimentsQuery,
    responses: { 200: { description: 'newest first', schema: experimentView.array() } },
    async handle({ params, query, ctx }) {
      const agentId = params['agentId']!;
      if (!(await getAgent(ctx.db, agentId))) throw notFound('agentId', 'agent', agentId);
      return { status: 200, body: await listExperimentViews(ctx.db, { agentId, activeOnly: query.status === 'active', limit: query.limit }, ctx.now()) };
    },
  }),
  route({
    method: 'GET',
    path: '/api/agents/{agentId}/learning/status',
    permission: 'read',
    summary: 'continuous mode on or paused, next scheduled run, thresholds, the open session, the running experiment',
    responses: { 200: { description: 'the status', schema: statusView } },
    async handle({ params, ctx }) {
      const agentId = params['agentId']!;
      const [agent, stored] = await Promise.all([getAgent(ctx.db, agentId), getCurrentPolicy(ctx.db, agentId)]);
      if (!agent) throw notFound('agentId', 'agent', agentId);
      const now = ctx.now();
      const policy = policyOf(agentId, stored);
      const { effective } = policy;
      const [session, running, pauses] = await Promise.all([
        getOpenSession(ctx.db, agentId),
        listExperimentViews(ctx.db, { agentId, activeOnly: true, limit: 1 }, now),
        effective.paused ? listAudit(ctx.db, { agent_id: agentId, subject_type: 'agent', subject_id: agentId, limit: 20 }) : null,
      ]);
      const pause = pauses?.entries.find((e) => e.action === 'learning.paused');
      const status: StatusView = {
        agentId,
        liveVersionId: agent.live_version_id,
        continuousMode: effective.paused ? 'paused' : 'on',
        paused: effective.paused ? { by: pause?.actor ?? policy.createdBy ?? 'unknown', reason: reasonOf(pause?.payload), at: pause?.at.toISOString() ?? policy.createdAt ?? now.toISOString() } : null,
        policyVersion: policy.version,
        schedule: effective.schedule,
        nextScheduledRunAt: effective.paused ? null : (nextSlot(effective.schedule, now)?.toISOString() ?? null),
        thresholds: effective.trigger,
        autoPromoteLowRisk: effective.promotion.autoPromoteLowRisk,
        openSession: session ? sessionOf(session) : null,
        runningExperiment: running[0] ?? null,
      };
      return { status: 200, body: status };
    },
  }),
];
