import type { Kysely } from 'kysely';
import type { ArmRunCounts, ExperimentPolicy, VerdictReason } from '../../lib/contracts/types.generated.ts';
import type { Database } from '../../lib/db/schema.ts';
import { selectExperiments } from '../../lib/experiments/query.ts';
import { activeStatuses } from '../../lib/experiments/status.pure.ts';
import { proposalSummary } from '../../lib/experiments/proposal.pure.ts';
import { approvalOf, latestApprovals } from './approval-read.ts';
import type { ExperimentView } from '../../lib/api/schemas.ts';
import { configParts } from '../../lib/agents/config.ts';

type ConfigChange = ExperimentView['proposal']['changes'][number];

/** The configuration parts that differ between two versions' configs, each before and after. */
export function configChanges(baseline: unknown, candidate: unknown): ConfigChange[] {
  const b = (baseline ?? {}) as Record<string, unknown>;
  const c = (candidate ?? {}) as Record<string, unknown>;
  return configParts
    .filter((part) => JSON.stringify(b[part] ?? null) !== JSON.stringify(c[part] ?? null))
    .map((part) => ({ part, before: b[part] ?? null, after: c[part] ?? null }));
}

/** Each version's configuration, by id. */
async function configsOf(db: Kysely<Database>, ids: readonly string[]): Promise<Map<string, unknown>> {
  const rows = await db.selectFrom('agent_versions').select(['id', 'config']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.config]));
}

const riskReasonsOf = (stored: unknown): ExperimentView['proposal']['riskReasons'] =>
  Array.isArray(stored)
    ? stored.map((r: { code: string; detail?: string | null }) => ({ code: r.code, detail: r.detail ?? null }))
    : [];

/**
 * Experiments as the API shows them: the row, its proposal, the judge's counts and statistics as of its latest verdict
 * (the cp_experiments read model, built from learning.experiment.verdict.v1), its latest decision and approval.
 */

export type LatestVerdict = {
  experiment_id: string;
  decided_at: Date;
  decision: { action: string; reasons: Array<{ code: string; detail: string | null }> };
  statistics: unknown;
  run_counts: ArmRunCounts;
  policy: ExperimentPolicy;
};

/** Runs counted per arm: as of the judge's latest verdict, else the row's (updated by the judge on each state change). */
export function armCountsOf(
  row: { baseline_run_count: number; candidate_run_count: number; shadow_run_count: number },
  latest: Pick<LatestVerdict, 'run_counts'> | undefined,
): ArmRunCounts {
  if (latest) return latest.run_counts;
  return { baseline: row.baseline_run_count, candidate: row.candidate_run_count, shadow: row.shadow_run_count };
}

/** The judge's latest verdict on each experiment, as the read model holds it. */
export async function latestVerdicts(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<Map<string, LatestVerdict>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('cp_experiments')
    .select(['experiment_id', 'decided_at', 'decision', 'statistics', 'run_counts', 'policy'])
    .where('experiment_id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.experiment_id, r]));
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
  const versionIds = [...new Set(rows.flatMap((r) => [r.baseline_version_id, r.candidate_version_id]))];
  const [verdictOf, approvals, configs] = await Promise.all([
    latestVerdicts(db, ids),
    latestApprovals(db, ids),
    configsOf(db, versionIds),
  ]);

  return rows.map((row) => {
    const verdict = verdictOf.get(row.id);
    const ending = row.decision as { action?: string; reasons?: VerdictReason[] } | null;
    const decision = ending?.action
      ? { action: ending.action, reasons: ending.reasons ?? [], at: row.ended_at?.toISOString() ?? null }
      : verdict
        ? { ...verdict.decision, at: verdict.decided_at.toISOString() }
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
        riskReasons: riskReasonsOf(row.risk_reasons),
        changes: configChanges(configs.get(row.baseline_version_id), configs.get(row.candidate_version_id)),
      },
      armCounts: armCountsOf(row, verdict),
      statistics: verdict?.statistics ?? null,
      decision,
      latestApproval: approval ? approvalOf(approval, now) : null,
    };
  });
}
