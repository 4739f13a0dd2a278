import { sql, type Transaction } from 'kysely';
import type { ExperimentPolicy, RampStep, TrafficSplit } from '../../lib/contracts/types.generated.ts';
import { updateExperiment } from '../../lib/db/repositories/experiments.ts';
import type { Database, ExperimentMode, RiskTier } from '../../lib/db/schema.ts';
import { experimentActors, experimentStateEvent } from '../../lib/experiments/state.pure.ts';
import { activeStatuses, type ActiveStatus } from '../../lib/experiments/status.pure.ts';
import { effectivePolicy } from '../../lib/policy/effective.ts';
import { experimentPolicy } from '../../lib/policy/experiment.ts';
import type { ApiContext } from './api.pure.ts';
import type { Work } from './writes.ts';
import { armCountsOf, judgeStates } from './experiment-read.ts';

type Trx = Transaction<Database>;

/** The agent's active experiment with its proposal, as locked by lockActive. */
export interface ActiveRow {
  id: string;
  agent_id: string;
  status: ActiveStatus;
  mode: ExperimentMode;
  version: number;
  salt: string;
  traffic_split: TrafficSplit;
  ramp_schedule: RampStep[];
  ramp_step_index: number;
  started_at: Date;
  policy: ExperimentPolicy | null;
  baseline_run_count: number;
  candidate_run_count: number;
  shadow_run_count: number;
  proposal_id: string;
  session_id: string;
  risk_tier: RiskTier;
  auto_eligible: boolean;
  baseline_version_id: string;
  candidate_version_id: string;
  /** An approval request of the experiment is still undecided. */
  pending_approval: boolean;
}

/**
 * The agent's active experiment, locked until the transaction ends. Taken before the agent's row, in the order the
 * judge takes them (experiment, then agent when it promotes), so that the two cannot deadlock.
 */
export async function lockActive(trx: Trx, agentId: string): Promise<ActiveRow | undefined> {
  const { rows } = await sql<ActiveRow>`
    SELECT e.id, e.agent_id, e.status, e.mode, e.version, e.salt, e.traffic_split, e.ramp_schedule, e.ramp_step_index, e.started_at,
           e.policy, e.baseline_run_count, e.candidate_run_count, e.shadow_run_count, p.id AS proposal_id, p.session_id, p.risk_tier,
           p.auto_eligible, p.baseline_version_id, p.candidate_version_id,
           EXISTS (SELECT 1 FROM approvals a WHERE a.experiment_id = e.id AND a.decision IS NULL) AS pending_approval
    FROM experiments e JOIN proposals p ON p.id = e.proposal_id
    WHERE e.agent_id = ${agentId} AND e.status = ANY(${activeStatuses}::text[])
    FOR UPDATE OF e`.execute(trx);
  return rows[0];
}

export type StatusChange = {
  id: string;
  status: ActiveStatus;
  version: number;
};

/**
 * Moves a locked active experiment to `status` under the version check, and emits its full state
 * (learning.experiment.state.v1, the new version): the routers apply it as soon as the outbox publishes it.
 */
export async function changeExperiment(
  work: Work,
  ctx: ApiContext,
  row: ActiveRow,
  status: ActiveStatus,
  reason: string,
): Promise<StatusChange> {
  const { trx } = work;
  const updated = await updateExperiment(trx, row.id, row.version, { status });
  // The row is locked by this transaction: only a writer that skipped the lock could have moved the version.
  if (!updated.ok) throw new Error(`experiment ${row.id}: update at version ${row.version} failed (${updated.reason})`);
  const experiment = updated.experiment;
  const judge = (await judgeStates(trx, [row.id])).get(row.id);
  const policy = row.policy ?? judge?.derived?.policy ?? (await fallbackPolicy(trx, row));
  const state = experimentStateEvent({
    experimentId: row.id,
    agentId: row.agent_id,
    version: experiment.version,
    changedAt: ctx.now(),
    status,
    mode: row.mode,
    salt: row.salt,
    trafficSplit: row.traffic_split,
    rampSchedule: row.ramp_schedule,
    rampStepIndex: row.ramp_step_index,
    proposalId: row.proposal_id,
    sessionId: row.session_id,
    riskTier: row.risk_tier,
    autoEligible: row.auto_eligible,
    policy,
    startedAt: row.started_at,
    runCounts: armCountsOf(row, judge),
    changedBy: experimentActors.controlPlane,
    reason,
    baselineVersionId: row.baseline_version_id,
    candidateVersionId: row.candidate_version_id,
  });
  work.emit([{ topic: 'learning.experiment.state.v1', key: row.agent_id, value: state }]);
  return { id: row.id, status, version: experiment.version };
}

/** For a row stored without its policy (older proposers): what the judge derives, the agent's policy in force. */
async function fallbackPolicy(trx: Trx, row: ActiveRow): Promise<ExperimentPolicy> {
  const effective = await effectivePolicy(trx, row.agent_id);
  if (!effective.ok)
    throw new Error(
      `experiment ${row.id} has no policy and agent ${row.agent_id}'s does not resolve: ${effective.errors.join('; ')}`,
    );
  return experimentPolicy(effective.policy, effective.version, row.risk_tier);
}
