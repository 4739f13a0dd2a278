import { randomUUID } from 'node:crypto';
import type { Approval, Db } from '../schema.ts';

export interface RequestApprovalInput {
  id?: string;
  experiment_id: string;
  proposal_id: string;
  requested_at?: Date;
  expires_at?: Date | null;
}

/**
 * Asks for a human decision on an experiment. Idempotent: while one is pending for the experiment, asking again returns
 * it (`created: false`) rather than a second request.
 */
export async function requestApproval(
  db: Db,
  input: RequestApprovalInput,
): Promise<{ approval: Approval; created: boolean }> {
  const approval = await db
    .insertInto('approvals')
    .values({ ...input, id: input.id ?? randomUUID() })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (approval) return { approval, created: true };
  const pending = await db
    .selectFrom('approvals')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('id', '=', input.id ?? ''),
        eb.and([eb('experiment_id', '=', input.experiment_id), eb('decision', 'is', null)]),
      ]),
    )
    .executeTakeFirstOrThrow();
  return { approval: pending, created: false };
}

/** Records a low-risk promotion's approval (docs/statistics.md): decided at once as auto_approved, by the system. */
export async function recordAutoApproval(
  db: Db,
  input: {
    id?: string;
    experiment_id: string;
    proposal_id: string;
    reason?: string | null;
    approver?: string;
    decided_at?: Date;
  },
): Promise<Approval> {
  const decidedAt = input.decided_at ?? new Date();
  return db
    .insertInto('approvals')
    .values({
      id: input.id ?? randomUUID(),
      experiment_id: input.experiment_id,
      proposal_id: input.proposal_id,
      decision: 'auto_approved',
      auto_approved: true,
      approver: input.approver ?? 'learnloop',
      reason: input.reason ?? null,
      requested_at: decidedAt,
      decided_at: decidedAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getApproval(db: Db, id: string): Promise<Approval | undefined> {
  return db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst();
}

export type DecideApprovalResult =
  /** `applied: false`: it was decided before; `approval` is that first decision, unchanged. */
  { ok: true; applied: boolean; approval: Approval } | { ok: false; reason: 'not_found' };

/**
 * Decides a pending approval, once. A second decision (a double click, a redelivered Slack callback, two approvers at
 * once) changes nothing and returns the first. Expiry is the caller's rule: this records what it is given.
 */
export async function decideApproval(
  db: Db,
  id: string,
  decision: { decision: 'approved' | 'rejected'; approver: string; reason?: string | null; decided_at?: Date },
): Promise<DecideApprovalResult> {
  const approval = await db
    .updateTable('approvals')
    .set({
      decision: decision.decision,
      approver: decision.approver,
      reason: decision.reason ?? null,
      decided_at: decision.decided_at ?? new Date(),
    })
    .where('id', '=', id)
    .where('decision', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (approval) return { ok: true, applied: true, approval };
  const existing = await getApproval(db, id);
  return existing ? { ok: true, applied: false, approval: existing } : { ok: false, reason: 'not_found' };
}
