import { sql, type Kysely } from 'kysely';
import type { ArmRunCounts, ExperimentStatistics, VerdictReason } from '../../lib/contracts/types.generated.ts';
import type { Database, ExperimentMode } from '../../lib/db/schema.ts';
import { selectExperiments } from '../../lib/experiments/query.ts';
import { activeStatuses } from '../../lib/experiments/status.pure.ts';
import { armsOf, experimentActors } from '../../lib/experiments/state.pure.ts';
import { analyse, runCountsOf } from '../experiment-judge/analysis.pure.ts';
import type { JudgeState } from '../experiment-judge/model.pure.ts';
import { proposalSummary } from '../../lib/experiments/proposal.pure.ts';
import { approvalOf, latestApprovals } from './approval-read.ts';
import type { ExperimentView } from '../../lib/api/schemas.ts';

/**
 * Experiments as the API shows them: the row, its proposal, the judge's counts and current statistics (recomputed from
 * the sufficient statistics the judge keeps, with the judge's own analysis), its latest decision and approval.
 */

/** Runs counted per arm: the judge's counts as they stand, else the row's (updated by the judge on each state change). */
export function armCountsOf(
  row: { mode: ExperimentMode; baseline_run_count: number; candidate_run_count: number; shadow_run_count: number },
  judge: JudgeState | undefined,
): ArmRunCounts {
  if (!judge)
    return { baseline: row.baseline_run_count, candidate: row.candidate_run_count, shadow: row.shadow_run_count };
  return runCountsOf(row.mode, judge.statistics);
}

export async function judgeStates(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, JudgeState>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('judge_experiments')
    .select(['experiment_id', 'state'])
    .where('experiment_id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.experiment_id, r.state as JudgeState]));
}

export async function listExperimentViews(
  db: Kysely<Database>,
  query: { agentId: string; activeOnly: boolean; limit: number },
  now: Date,
): Promise<ExperimentView[]> {
  const selected = selectExperiments(db).where('e.agent_id', '=', query.agentId);
  const rows = await (query.activeOnly ? selected.where('e.status', 'in', activeStatuses) : selected)
    .orderBy('e.started_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(query.limit)
    .execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [judgeOf, verdicts, approvals] = await Promise.all([
    judgeStates(db, ids),
    sql<{ subject_id: string; at: Date; decision: { action: string; reasons: VerdictReason[] } | null }>`
      SELECT DISTINCT ON (subject_id) subject_id, at, payload->'decision' AS decision FROM audit_log
      WHERE subject_type = 'experiment' AND subject_id = ANY(${ids}::text[]) AND actor = ${experimentActors.judge}
      ORDER BY subject_id, id DESC`.execute(db),
    latestApprovals(db, ids),
  ]);
  const verdictOf = new Map(verdicts.rows.map((r) => [r.subject_id, r]));

  return rows.map((row) => {
    const judge = judgeOf.get(row.id);
    const arms = armsOf({
      mode: row.mode,
      baselineVersionId: row.baseline_version_id,
      candidateVersionId: row.candidate_version_id,
    });
    const policy = row.policy ?? judge?.derived?.policy ?? null;
    const statistics: ExperimentStatistics | null =
      judge && policy ? analyse({ mode: row.mode, arms, policy }, judge.statistics).statistics : null;
    const armCounts = armCountsOf(row, judge);
    const verdict = verdictOf.get(row.id);
    const ending = row.decision as { action?: string; reasons?: VerdictReason[] } | null;
    const decision = ending?.action
      ? { action: ending.action, reasons: ending.reasons ?? [], at: row.ended_at?.toISOString() ?? null }
      : verdict?.decision
        ? {
            action: verdict.decision.action,
            reasons: verdict.decision.reasons.map((r) => ({ code: r.code, detail: r.detail ?? null })),
            at: verdict.at.toISOString(),
          }
        : null;
    const approval = approvals.get(row.id);
    return {
      id: row.id,
      agentId: row.agent_id,
      status: row.status,
      mode: row.mode,
      version: row.version,
      trafficSplit: row.traffic_split,
      rampStepIndex: row.ramp_step_index,
      startedAt: row.started_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
      endedAt: row.ended_at?.toISOString() ?? null,
      proposal: {
        id: row.proposal_id,
        riskTier: row.risk_tier,
        autoEligible: row.auto_eligible,
        summary: proposalSummary(row.change),
        baselineVersionId: row.baseline_version_id,
        candidateVersionId: row.candidate_version_id,
      },
      armCounts,
      statistics,
      decision,
      latestApproval: approval ? approvalOf(approval, now) : null,
    };
  });
}
