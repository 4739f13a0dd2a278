import { z } from 'zod';
import type { Db } from '../schema.ts';
import { appendAudit } from './audit.ts';

/**
 * The slack-bridge's approvers allow-list: a Slack user id and the approver's learnloop name (the name the four-eyes
 * rule compares, as a token holder's). Shared by `learnloop slack approvers` and the bridge's API; every change is
 * audited.
 */
export const slackApproverInput = z.strictObject({
  slackUserId: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id such as U0123ABCD'),
  approver: z
    .string()
    .trim()
    .min(1, 'must name the approver (their learnloop name)')
    .max(200, 'must be at most 200 characters'),
});
export type SlackApproverInput = z.infer<typeof slackApproverInput>;

export interface SlackApprover {
  slackUserId: string;
  approver: string;
  addedBy: string;
  addedAt: string;
}

export async function listSlackApprovers(db: Db): Promise<SlackApprover[]> {
  const rows = await db
    .selectFrom('slack_approvers')
    .selectAll()
    .orderBy('approver')
    .orderBy('slack_user_id')
    .execute();
  return rows.map((r) => ({
    slackUserId: r.slack_user_id,
    approver: r.approver,
    addedBy: r.added_by,
    addedAt: r.added_at.toISOString(),
  }));
}

/** The approver's name of a Slack user on the list, or null. */
export async function slackApproverName(db: Db, slackUserId: string): Promise<string | null> {
  const row = await db
    .selectFrom('slack_approvers')
    .select('approver')
    .where('slack_user_id', '=', slackUserId)
    .executeTakeFirst();
  return row?.approver ?? null;
}

/** Adds (or renames) an approver; `created` false when the user was on the list already. Audited as `actor`. */
export async function addSlackApprover(
  db: Db,
  input: SlackApproverInput,
  actor: string,
): Promise<{ approver: SlackApprover; created: boolean }> {
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('slack_approvers')
      .select('approver')
      .where('slack_user_id', '=', input.slackUserId)
      .forUpdate()
      .executeTakeFirst();
    const row = await trx
      .insertInto('slack_approvers')
      .values({ slack_user_id: input.slackUserId, approver: input.approver, added_by: actor })
      .onConflict((oc) =>
        oc.column('slack_user_id').doUpdateSet({ approver: input.approver, added_by: actor, added_at: new Date() }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    await appendAudit(trx, {
      actor,
      action: 'slack.approver.added',
      subject_type: 'slack_user',
      subject_id: input.slackUserId,
      payload: { approver: input.approver, previous: before?.approver ?? null },
    });
    return {
      approver: {
        slackUserId: row.slack_user_id,
        approver: row.approver,
        addedBy: row.added_by,
        addedAt: row.added_at.toISOString(),
      },
      created: before === undefined,
    };
  });
}

/** Removes an approver; false when the user was not on the list (nothing audited then). */
export async function removeSlackApprover(db: Db, slackUserId: string, actor: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const removed = await trx
      .deleteFrom('slack_approvers')
      .where('slack_user_id', '=', slackUserId)
      .returning('approver')
      .executeTakeFirst();
    if (!removed) return false;
    await appendAudit(trx, {
      actor,
      action: 'slack.approver.removed',
      subject_type: 'slack_user',
      subject_id: slackUserId,
      payload: { approver: removed.approver },
    });
    return true;
  });
}
