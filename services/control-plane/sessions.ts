import { getActiveExperiment } from '../../lib/db/repositories/experiments.ts';
import { getCurrentPolicy } from '../../lib/db/repositories/policies.ts';
import type { Session } from '../../lib/db/schema.ts';
import { openLearningSession } from '../../lib/experiments/session.ts';
import { conflict, route } from './api.pure.ts';
import { policyOf } from './policy.ts';
import { sessionView, startSessionBody, type SessionView } from '../../lib/api/schemas.ts';
import { lockAgent } from './writes.ts';
import { emptyWindowSummary, storedWindowSummary, type StoredWindowSummary } from './read-models/fold.pure.ts';

export function sessionOf(session: Session): SessionView {
  return {
    id: session.id,
    status: session.status,
    trigger: session.trigger,
    startedBy: session.started_by,
    reason: session.reason,
    createdAt: session.created_at.toISOString(),
  };
}

/**
 * A learning session started by a person: the same event the aggregator publishes (learning.session.triggered.v1, with
 * the agent's window as the aggregator last announced it, the cp_agent_windows read model), trigger `manual`,
 * requestedBy the caller. The proposer
 * takes it from there. Single flight holds as for the aggregator: not while a session is open or an experiment active.
 */
export const sessionRoutes = [
  route({
    operationId: 'openSession',
    method: 'POST',
    path: '/api/agents/{agentId}/learning/sessions',
    permission: 'learning.control',
    summary: 'start a learning session by hand (whoever starts it may not approve its change)',
    body: startSessionBody,
    responses: { 201: { description: 'the session, opened and announced', schema: sessionView } },
    async handle({ params, body, actor, ctx }) {
      return ctx.transact(async (work) => {
        const { trx } = work;
        const agent = await lockAgent(trx, params['agentId']!);
        const { effective } = policyOf(agent.id, await getCurrentPolicy(trx, agent.id));
        if (effective.paused) throw conflict(`agentId: ${agent.id} is paused; resume it to start a session`, 'agentId');
        const active = await getActiveExperiment(trx, agent.id);
        if (active) throw conflict(`agentId: ${agent.id} has experiment ${active.id} (${active.status})`, 'agentId');
        // A snapshot, not locked: the aggregator owns the window; the session only reports what it showed.
        const stored = await trx
          .selectFrom('cp_agent_windows')
          .selectAll()
          .where('agent_id', '=', agent.id)
          .executeTakeFirst();
        const opened = await openLearningSession(trx, {
          agentId: agent.id,
          trigger: 'manual',
          agentVersionId: agent.live_version_id ?? stored?.agent_version_id ?? null,
          signals: {
            window: stored
              ? storedWindowSummary(stored.window_summary as StoredWindowSummary)
              : emptyWindowSummary(effective.window.lengthMs),
            thresholdsCrossed: [],
            topFailureCategories: stored?.top_failure_categories ?? [],
          },
          requestedBy: actor.name,
          reason: body.reason,
          now: ctx.now(),
        });
        if (!opened.ok)
          throw conflict(
            `agentId: ${agent.id} has session ${opened.reason === 'session_open' ? opened.openSessionId : opened.sessionId} open`,
            'agentId',
          );
        const { session, event } = opened;
        work.emit([{ topic: 'learning.session.triggered.v1', key: agent.id, value: event }]);
        work.audit(actor, {
          action: 'session.started',
          agentId: agent.id,
          subjectType: 'session',
          subjectId: session.id,
          payload: { reason: body.reason },
        });
        return { status: 201, body: sessionOf(session) };
      });
    },
  }),
];
