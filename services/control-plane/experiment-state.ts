import type { Transaction } from 'kysely';
import type { ExperimentPolicy } from '../../lib/contracts/types.generated.ts';
import { updateExperiment } from '../../lib/db/repositories/experiments.ts';
import type { Database } from '../../lib/db/schema.ts';
import { selectExperiments, type ExperimentRow } from '../../lib/experiments/query.ts';
import { experimentActors, experimentStateEvent } from '../../lib/experiments/state.pure.ts';
import { activeStatuses, type ActiveStatus } from '../../lib/experiments/status.pure.ts';
import { effectivePolicy } from '../../lib/policy/effective.ts';
import { experimentPolicy } from '../../lib/policy/experiment.ts';
import type { ApiContext } from './api.pure.ts';
import type { Work } from './writes.ts';
import { armCountsOf, latestVerdicts } from './experiment-read.ts';

type Trx = Transaction<Database>;

/** The agent's active experiment with its proposal, as locked by lockActive. */
export type ActiveRow = ExperimentRow & {
  status: ActiveStatus;
  /** An approval request of the experiment is still undecided. */
  pending_approval: boolean;
};

/**
 * The agent's active experiment, locked until the transaction ends. Taken before the agent's row, in the order the
 * judge takes them (experiment, then agent when it promotes), so that the two cannot deadlock.
 */
export async function lockActive(trx: Trx, agentId: string): Promise<ActiveRow | undefined> {
  const row = await selectExperiments(trx)
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('approvals as a')
            .select('a.id')
            .whereRef('a.experiment_id', '=', 'e.id')
            .where('a.decision', 'is', null),
        )
        .as('pending_approval'),
    )
    .where('e.agent_id', '=', agentId)
    .where('e.status', 'in', activeStatuses)
    .forUpdate('e')
    .executeTakeFirst();
  return row as ActiveRow | undefined;
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
  const latest = (await latestVerdicts(trx, [row.id])).get(row.id);
  const policy = row.policy ?? latest?.policy ?? (await fallbackPolicy(trx, row));
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
    runCounts: armCountsOf(row, latest),
    changedBy: experimentActors.controlPlane,
    reason,
    baselineVersionId: row.baseline_version_id,
    candidateVersionId: row.candidate_version_id,
  });
  work.emit([{ topic: 'learning.experiment.state.v1', key: row.agent_id, value: state }]);
  return { id: row.id, status, version: experiment.version };
}

/**
 * For a row stored without its policy (older proposers) and not judged yet: what the judge derives, the agent's policy
 * in force.
 */
async function fallbackPolicy(trx: Trx, row: ActiveRow): Promise<ExperimentPolicy> {
  const effective = await effectivePolicy(trx, row.agent_id);
  if (!effective.ok)
    throw new Error(
      `experiment ${row.id} has no policy and agent ${row.agent_id}'s does not resolve: ${effective.errors.join('; ')}`,
    );
  return experimentPolicy(effective.policy, effective.version, row.risk_tier);
}
