import type { ApprovalDecided } from '../../lib/contracts/types.generated.ts';
import { decideApproval } from '../../lib/db/repositories/approvals.ts';
import { mayDecide } from '../../lib/experiments/four-eyes.pure.ts';
import { ApiError, conflict, notFound, route } from './api.pure.ts';
import { approvalOf, listApprovals, lockApproval } from './approval-read.ts';
import { approvalsQuery, approvalView, decisionBody, decisionView } from '../../lib/api/schemas.ts';

/**
 * Approvals: the list, and a person's decision. The decision is recorded in Postgres first (an approval is decided
 * once: a second decision returns the first, unchanged) and published as learning.approval.decided.v1 through the
 * outbox; the judge then promotes, after checking the guardrails again, or closes the experiment.
 */

export const approvalRoutes = [
  route({
    operationId: 'listApprovals',
    method: 'GET',
    path: '/api/approvals',
    permission: 'read',
    summary: 'approval requests, newest first (?status=pending by default)',
    query: approvalsQuery,
    responses: { 200: { description: 'the approvals', schema: approvalView.array() } },
    async handle({ query, ctx }) {
      const now = ctx.now();
      const rows = await listApprovals(ctx.db, query);
      return { status: 200, body: rows.map((r) => approvalOf(r, now)) };
    },
  }),
  route({
    operationId: 'decideApproval',
    method: 'POST',
    path: '/api/approvals/{approvalId}/decision',
    permission: 'approvals.decide',
    summary: 'approve or reject a pending request; deciding again returns the first decision, unchanged',
    body: decisionBody,
    responses: {
      200: {
        description: 'applied: true when this call decided it, false when it had been decided before',
        schema: decisionView,
      },
    },
    async handle({ params, body, actor, ctx }) {
      const approvalId = params['approvalId']!;
      return ctx.transact(async (work) => {
        const { trx } = work;
        const row = await lockApproval(trx, approvalId);
        if (!row) throw notFound('approvalId', 'approval', approvalId);
        const now = ctx.now();
        if (row.decision !== null) return { status: 200, body: { approval: approvalOf(row, now), applied: false } };
        if (!mayDecide(row.session_trigger === 'manual' ? row.session_started_by : null, actor.name)) {
          throw new ApiError(
            403,
            `approvalId: ${actor.name} started session ${row.session_id} and may not decide its approval`,
            { field: 'approvalId' },
          );
        }
        if (row.experiment_status === 'paused')
          throw conflict(
            `approvalId: experiment ${row.experiment_id} is paused; resume the agent to decide its approval`,
            'approvalId',
          );
        if (row.experiment_status !== 'awaiting_approval')
          throw conflict(
            `approvalId: experiment ${row.experiment_id} is ${row.experiment_status}, not awaiting approval`,
            'approvalId',
          );
        if (row.expires_at !== null && row.expires_at.getTime() <= now.getTime()) {
          throw conflict(`approvalId: the request expired at ${row.expires_at.toISOString()}`, 'approvalId');
        }
        const reason = body.reason ?? null;
        const decided = await decideApproval(trx, approvalId, {
          decision: body.decision,
          approver: actor.name,
          reason,
          decided_at: now,
        });
        if (!decided.ok || !decided.applied)
          throw new Error(`approval ${approvalId}: locked and pending, yet not decided (${JSON.stringify(decided)})`);
        const event: ApprovalDecided = {
          eventId: `${approvalId}:decided`,
          approvalId,
          experimentId: row.experiment_id,
          agentId: row.agent_id,
          candidateVersionId: row.candidate_version_id,
          decision: body.decision,
          approver: actor.name,
          source: actor.source,
          reason,
          decidedAt: now,
        };
        work.emit([{ topic: 'learning.approval.decided.v1', key: row.agent_id, value: event }]);
        work.audit(actor, {
          action: 'approval.decided',
          agentId: row.agent_id,
          subjectType: 'approval',
          subjectId: approvalId,
          payload: {
            decision: body.decision,
            reason,
            experimentId: row.experiment_id,
            candidateVersionId: row.candidate_version_id,
          },
        });
        const approval = approvalOf(
          { ...row, decision: body.decision, approver: actor.name, reason, decided_at: now },
          now,
        );
        return { status: 200, body: { approval, applied: true } };
      });
    },
  }),
];
