import { sql, type Kysely, type Transaction } from 'kysely';
import type { ApprovalDecision, Database, ExperimentStatus, RiskTier, SessionTrigger } from '../../lib/db/schema.ts';
import type { ApprovalView } from '../../lib/api/schemas.ts';
import { proposalSummary } from '../../lib/experiments/proposal.pure.ts';

/** An approval with what an approver needs to decide it: the change, its risk, and who started the session. */
export interface ApprovalRow {
  id: string;
  experiment_id: string;
  proposal_id: string;
  decision: ApprovalDecision | null;
  approver: string | null;
  reason: string | null;
  requested_at: Date;
  expires_at: Date | null;
  decided_at: Date | null;
  agent_id: string;
  experiment_status: ExperimentStatus;
  risk_tier: RiskTier;
  change: unknown;
  baseline_version_id: string;
  candidate_version_id: string;
  session_id: string;
  session_trigger: SessionTrigger;
  session_started_by: string | null;
}

const columns = sql`a.id, a.experiment_id, a.proposal_id, a.decision, a.approver, a.reason, a.requested_at, a.expires_at, a.decided_at,
  e.agent_id, e.status AS experiment_status, p.risk_tier, p.change, p.baseline_version_id, p.candidate_version_id,
  s.id AS session_id, s.trigger AS session_trigger, s.started_by AS session_started_by`;
const joins = sql`FROM approvals a JOIN experiments e ON e.id = a.experiment_id JOIN proposals p ON p.id = a.proposal_id JOIN sessions s ON s.id = p.session_id`;

export function approvalOf(row: ApprovalRow, now: Date): ApprovalView {
  return {
    id: row.id,
    experimentId: row.experiment_id,
    agentId: row.agent_id,
    proposalId: row.proposal_id,
    status: row.decision ?? 'pending',
    approver: row.approver,
    reason: row.reason,
    requestedAt: row.requested_at.toISOString(),
    expiresAt: row.expires_at?.toISOString() ?? null,
    decidedAt: row.decided_at?.toISOString() ?? null,
    expired: row.decision === null && row.expires_at !== null && row.expires_at.getTime() <= now.getTime(),
    riskTier: row.risk_tier,
    summary: proposalSummary(row.change),
    baselineVersionId: row.baseline_version_id,
    candidateVersionId: row.candidate_version_id,
    sessionId: row.session_id,
    sessionTrigger: row.session_trigger,
    sessionStartedBy: row.session_started_by,
  };
}

export async function listApprovals(
  db: Kysely<Database>,
  query: { status: 'pending' | 'decided' | 'all'; agentId?: string | undefined; limit: number },
): Promise<ApprovalRow[]> {
  const status =
    query.status === 'pending'
      ? sql`a.decision IS NULL`
      : query.status === 'decided'
        ? sql`a.decision IS NOT NULL`
        : sql`true`;
  const agent = query.agentId === undefined ? sql`true` : sql`e.agent_id = ${query.agentId}`;
  const { rows } = await sql<ApprovalRow>`SELECT ${columns} ${joins} WHERE ${status} AND ${agent}
    ORDER BY a.requested_at DESC, a.id DESC LIMIT ${query.limit}`.execute(db);
  return rows;
}

/**
 * One approval and its experiment, both locked for the caller's transaction: the experiment first, as the judge locks
 * them (it decides or withdraws a request while it holds its experiment), so that the two cannot deadlock and the
 * experiment's status read here holds until the decision commits.
 */
export async function lockApproval(trx: Transaction<Database>, id: string): Promise<ApprovalRow | undefined> {
  const found = await trx.selectFrom('approvals').select('experiment_id').where('id', '=', id).executeTakeFirst();
  if (!found) return undefined;
  await trx.selectFrom('experiments').select('id').where('id', '=', found.experiment_id).forUpdate().execute();
  const { rows } = await sql<ApprovalRow>`SELECT ${columns} ${joins} WHERE a.id = ${id} FOR UPDATE OF a`.execute(trx);
  return rows[0];
}

/** The latest approval of each experiment. */
export async function latestApprovals(
  db: Kysely<Database>,
  experimentIds: readonly string[],
): Promise<Map<string, ApprovalRow>> {
  if (experimentIds.length === 0) return new Map();
  const { rows } = await sql<ApprovalRow>`SELECT DISTINCT ON (a.experiment_id) ${columns} ${joins}
    WHERE a.experiment_id = ANY(${experimentIds}::text[]) ORDER BY a.experiment_id, a.requested_at DESC, a.id DESC`.execute(
    db,
  );
  return new Map(rows.map((r) => [r.experiment_id, r]));
}
