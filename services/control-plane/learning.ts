import { getAgent } from '../../lib/db/repositories/agents.ts';
import { listAudit } from '../../lib/db/repositories/audit.ts';
import { getCurrentPolicy } from '../../lib/db/repositories/policies.ts';
import { getOpenSession } from '../../lib/db/repositories/sessions.ts';
import type { Db, JsonObject } from '../../lib/db/schema.ts';
import { nextSlot } from '../../lib/policy/schedule.ts';
import { notFound, route, type Actor, type ApiContext, type Reply } from './api.pure.ts';
import { listExperimentViews } from './experiment-read.ts';
import type { ActiveStatus } from '../../lib/experiments/status.pure.ts';
import { changeExperiment, lockActive, type ActiveRow } from './experiment-state.ts';
import { policyOf, storePolicy } from './policy.ts';
import { sessionOf } from './sessions.ts';
import {
  experimentsQuery,
  experimentView,
  pauseBody,
  pauseView,
  resumeBody,
  statusView,
  type StatusView,
  type WindowView,
} from '../../lib/api/schemas.ts';
import type { StoredWindowSummary } from './read-models/fold.pure.ts';
import { lockAgent } from './writes.ts';

/**
 * Pause and resume (docs/control-plane.md: the control plane pauses experiments), the experiments list and the status page's data.
 * A pause is two things written together: the policy's `paused` flag (no new session opens) and the active
 * experiment's status (the routers send all its traffic back to the baseline).
 */

/**
 * Where pausing moves an active experiment: out of traffic, unless a person's decision on it is already recorded and on
 * its way to the judge (awaiting approval, nothing pending): that decision is applied first, or it would arrive at a
 * paused experiment and be lost.
 */
function pausedStatus(row: ActiveRow): ActiveStatus | null {
  if (row.status === 'running' || (row.status === 'awaiting_approval' && row.pending_approval)) return 'paused';
  return null;
}

/** Where resuming moves it: back to waiting for its approval if the request is still open, else running. */
function resumedStatus(row: ActiveRow): ActiveStatus | null {
  return row.status === 'paused' ? (row.pending_approval ? 'awaiting_approval' : 'running') : null;
}

/**
 * Pauses (or resumes) the agent: the policy's flag, then the active experiment, in one transaction. Resuming an
 * experiment paused by the judge (a sample-ratio mismatch) is the same act: a person looked and lets it go on.
 */
async function setPaused(
  ctx: ApiContext,
  actor: Actor,
  agentId: string,
  pause: boolean,
  reason: string | null,
): Promise<Reply> {
  return ctx.transact(async (work) => {
    const locked = await lockActive(work.trx, agentId);
    const agent = await lockAgent(work.trx, agentId);
    // The proposer takes the agent's lock before it starts an experiment: one may have started while this waited.
    const row = locked ?? (await lockActive(work.trx, agentId));
    const stored = await getCurrentPolicy(work.trx, agent.id);
    // Only the flag changes: the rest of the overrides are kept as stored, checked or not (see storePolicy).
    const { paused: flag, ...rest } = (stored?.policy ?? {}) as JsonObject;
    const policyChanges = (flag === true) !== pause;
    const policyVersion = policyChanges
      ? (
          await storePolicy(work, actor, {
            agentId: agent.id,
            overrides: pause ? { ...rest, paused: true } : rest,
            action: 'policy.updated',
            payload: { previousVersion: stored?.version ?? 0, reason },
          })
        ).version
      : (stored?.version ?? 0);
    const target = row ? (pause ? pausedStatus(row) : resumedStatus(row)) : null;
    const experiment = !row
      ? null
      : target
        ? await changeExperiment(
            work,
            ctx,
            row,
            target,
            `${pause ? 'paused' : 'resumed'} by ${actor.name}${reason ? `: ${reason}` : ''}`,
          )
        : { id: row.id, status: row.status, version: row.version };
    const changed = policyChanges || target !== null;
    if (changed) {
      work.audit(actor, {
        action: pause ? 'learning.paused' : 'learning.resumed',
        agentId: agent.id,
        subjectType: 'agent',
        subjectId: agent.id,
        payload: { reason, policyVersion, experiment },
      });
    }
    return { status: 200, body: { agentId: agent.id, paused: pause, changed, policyVersion, experiment } };
  });
}

/** The window as the aggregator last announced it (the cp_agent_windows read model); null before its first announcement. */
async function windowOf(db: Db, agentId: string): Promise<WindowView | null> {
  const row = await db.selectFrom('cp_agent_windows').selectAll().where('agent_id', '=', agentId).executeTakeFirst();
  if (!row) return null;
  const w = row.window_summary as StoredWindowSummary;
  return {
    announcedAt: row.updated_at.toISOString(),
    agentVersionId: row.agent_version_id,
    windowStart: w.windowStart,
    windowEnd: w.windowEnd,
    runCount: w.runCount,
    evaluatedCount: w.evaluatedCount,
    failureRate: w.failureRate,
    meanScore: w.meanScore,
    guardrailHitRate: w.guardrailHitRate,
    negativeFeedbackRate: w.negativeFeedbackRate,
    meanCostUsd: w.meanCostUsd,
  };
}

const reasonOf = (payload: unknown): string | null => {
  const reason = (payload as { reason?: unknown } | null | undefined)?.reason;
  return typeof reason === 'string' ? reason : null;
};

export const learningRoutes = [
  route({
    operationId: 'pauseLearning',
    method: 'POST',
    path: '/api/agents/{agentId}/learning/pause',
    permission: 'learning.control',
    summary: 'pause continuous learning: no new session opens, and a running experiment serves the baseline only',
    body: pauseBody,
    responses: { 200: { description: 'paused (changed: false when it already was)', schema: pauseView } },
    handle: ({ params, body, actor, ctx }) => setPaused(ctx, actor, params['agentId']!, true, body.reason),
  }),
  route({
    operationId: 'resumeLearning',
    method: 'POST',
    path: '/api/agents/{agentId}/learning/resume',
    permission: 'learning.control',
    summary:
      'resume continuous learning, and a paused experiment (awaiting approval again if its request is still open)',
    body: resumeBody,
    responses: { 200: { description: 'resumed (changed: false when nothing was paused)', schema: pauseView } },
    handle: ({ params, body, actor, ctx }) => setPaused(ctx, actor, params['agentId']!, false, body.reason ?? null),
  }),
  route({
    operationId: 'listExperiments',
    method: 'GET',
    path: '/api/agents/{agentId}/learning/experiments',
    permission: 'read',
    summary: 'active and recent experiments: split, mode, arm counts, current statistics, latest decision',
    query: experimentsQuery,
    responses: { 200: { description: 'newest first', schema: experimentView.array() } },
    async handle({ params, query, ctx }) {
      const agentId = params['agentId']!;
      if (!(await getAgent(ctx.db, agentId))) throw notFound('agentId', 'agent', agentId);
      return {
        status: 200,
        body: await listExperimentViews(
          ctx.db,
          { agentId, activeOnly: query.status === 'active', limit: query.limit },
          ctx.now(),
        ),
      };
    },
  }),
  route({
    operationId: 'getLearningStatus',
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
      const [session, running, pauses, window] = await Promise.all([
        getOpenSession(ctx.db, agentId),
        listExperimentViews(ctx.db, { agentId, activeOnly: true, limit: 1 }, now),
        effective.paused
          ? listAudit(ctx.db, { agent_id: agentId, subject_type: 'agent', subject_id: agentId, limit: 20 })
          : null,
        windowOf(ctx.db, agentId),
      ]);
      const pause = pauses?.entries.find((e) => e.action === 'learning.paused');
      const status: StatusView = {
        agentId,
        liveVersionId: agent.live_version_id,
        continuousMode: effective.paused ? 'paused' : 'on',
        paused: effective.paused
          ? {
              by: pause?.actor ?? policy.createdBy ?? 'unknown',
              reason: reasonOf(pause?.payload),
              at: pause?.at.toISOString() ?? policy.createdAt ?? now.toISOString(),
            }
          : null,
        policyVersion: policy.version,
        schedule: effective.schedule,
        nextScheduledRunAt: effective.paused ? null : (nextSlot(effective.schedule, now)?.toISOString() ?? null),
        thresholds: effective.trigger,
        autoPromoteLowRisk: effective.promotion.autoPromoteLowRisk,
        openSession: session ? sessionOf(session) : null,
        runningExperiment: running[0] ?? null,
        window,
      };
      return { status: 200, body: status };
    },
  }),
];
