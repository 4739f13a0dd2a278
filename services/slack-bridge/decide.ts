import type { Kysely } from 'kysely';
import type { ApprovalDecided } from '../../lib/contracts/types.generated.ts';
import { appendAudit } from '../../lib/db/repositories/audit.ts';
import type { Database } from '../../lib/db/schema.ts';
import { writeEvents, type EventOutbox } from '../../lib/kafka/outbox.ts';
import type { Outcome } from './blocks.pure.ts';
import { findMessage, recordOutcome, type MessageRow } from './messages.ts';

export type SlackDecision =
  | { ok: true; row: MessageRow }
  /** Decided before (by this click retried, another approver, the page, the API or the CLI), expired or withdrawn. */
  | { ok: false; reason: 'stale'; row: MessageRow }
  | { ok: false; reason: 'unknown' };

/**
 * Decides an approval from Slack, exactly once: the decision row (one per approval) and the event in the outbox commit
 * together, so however often Slack retries a click, or approvers click at once, one decision is published
 * (learning.approval.decided.v1, source slack) and the judge acts on it. The message's row says so in the same
 * transaction; the caller then updates the message.
 */
export async function decideFromSlack(
  m: { db: Kysely<Database>; outbox: EventOutbox; now: () => Date },
  input: {
    approvalId: string;
    decision: 'approved' | 'rejected';
    approver: string;
    slackUserId: string;
    reason: string | null;
  },
): Promise<SlackDecision> {
  return m.db.transaction().execute(async (trx) => {
    const row = await findMessage(trx, input.approvalId, true);
    if (!row || row.rendered === null || row.candidateVersionId === null) return { ok: false, reason: 'unknown' };
    const now = m.now();
    if (row.state !== 'pending' || row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'stale', row };
    const inserted = await trx
      .insertInto('slack_decisions')
      .values({
        approval_id: input.approvalId,
        slack_user_id: input.slackUserId,
        approver: input.approver,
        decision: input.decision,
        reason: input.reason,
        decided_at: now,
      })
      .onConflict((oc) => oc.column('approval_id').doNothing())
      .returning('approval_id')
      .executeTakeFirst();
    if (!inserted) return { ok: false, reason: 'stale', row };
    const event: ApprovalDecided = {
      eventId: `${input.approvalId}:decided`,
      approvalId: input.approvalId,
      experimentId: row.experimentId,
      agentId: row.agentId,
      candidateVersionId: row.candidateVersionId,
      decision: input.decision,
      approver: input.approver,
      source: 'slack',
      reason: input.reason,
      decidedAt: now,
    };
    const outcome: Outcome = {
      kind: input.decision,
      by: input.approver,
      at: now.toISOString(),
      reason: input.reason,
      source: 'slack',
    };
    const changed = await recordOutcome(
      trx,
      { approvalId: row.approvalId, experimentId: row.experimentId, agentId: row.agentId, at: now },
      outcome,
    );
    await writeEvents(trx, m.outbox, [{ topic: 'learning.approval.decided.v1', key: row.agentId, value: event }]);
    await appendAudit(trx, {
      actor: input.approver,
      action: 'approval.decided',
      agent_id: row.agentId,
      subject_type: 'approval',
      subject_id: input.approvalId,
      payload: {
        decision: input.decision,
        reason: input.reason,
        experimentId: row.experimentId,
        by: { source: 'slack', slackUserId: input.slackUserId },
      },
    });
    return { ok: true, row: changed ?? { ...row, state: 'decided', outcome } };
  });
}
