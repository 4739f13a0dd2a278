import { sql, type Transaction } from 'kysely';
import type avro from 'avsc';
import { avroProblems } from '../../lib/contracts/avro.ts';
import { avroType } from '../../lib/contracts/schemas.ts';
import {
  riskReasonCodeSymbols,
  type Arm,
  type ExperimentPolicy,
  type RampStep,
  type RiskReason,
  type RiskReasonCode,
  type TrafficSplit,
} from '../../lib/contracts/types.generated.ts';
import type { ConsumedEvent } from '../../lib/kafka/batch.ts';
import { BUCKETS } from '../../lib/experiments/buckets.pure.ts';
import { eventStatus } from '../../lib/experiments/status.pure.ts';
import type { Database } from '../../lib/db/schema.ts';
import { proposalSummary } from '../../lib/experiments/proposal.pure.ts';
import { selectExperiments, type ExperimentRow } from '../../lib/experiments/query.ts';
import { defaultPolicy } from '../../lib/policy/policy.ts';
import { experimentPolicy, rampSchedule } from '../../lib/policy/experiment.ts';
import { resolvePolicy } from '../../lib/policy/resolve.ts';
import { getCurrentPolicies } from '../../lib/db/repositories/policies.ts';
import { experimentIdsOf, type ApprovalRecord, type Changes, type World } from './fold.pure.ts';
import {
  newJudgeState,
  runKey,
  unitKey,
  type ExperimentRecord,
  type JudgeState,
  type RunRecord,
} from './model.pure.ts';

type Trx = Transaction<Database>;

// The nested Avro types of an experiment state: what the experiment row's JSON columns must hold.
const stateType = avroType('learning.experiment.state.v1') as avro.types.RecordType;
const policyType = stateType.field('policy')!.type;
const splitType = stateType.field('trafficSplit')!.type;
const scheduleType = stateType.field('rampSchedule')!.type;

/** A JSON column checked against its Avro type, defaults filled in, as plain data; or the problems. */
function asAvro<T>(type: avro.Type, value: unknown): { ok: true; value: T } | { ok: false; problems: string[] } {
  const problems = avroProblems(type, value);
  if (problems.length > 0) return { ok: false, problems };
  // clone() fills in the defaults of fields added later (tuningSampleSize, minimumEffect); JSON makes it plain data.
  return { ok: true, value: JSON.parse(JSON.stringify(type.clone(value))) as T };
}

function policyProblems(p: ExperimentPolicy): string[] {
  const out: string[] = [];
  if (!(p.alpha > 0 && p.alpha < 1)) out.push(`alpha ${p.alpha} is not in (0, 1)`);
  if (!(p.srmPValue > 0 && p.srmPValue < 1)) out.push(`srmPValue ${p.srmPValue} is not in (0, 1)`);
  if (!(p.tuningSampleSize > 0)) out.push(`tuningSampleSize ${p.tuningSampleSize} is not positive`);
  return out;
}

/** The proposal's reasons as the Avro records; bare codes are accepted, unknown codes dropped. */
function riskReasonsOf(value: unknown): RiskReason[] {
  if (!Array.isArray(value)) return [];
  const known = new Set<string>(riskReasonCodeSymbols);
  const out: RiskReason[] = [];
  for (const item of value) {
    const code = typeof item === 'string' ? item : (item as { code?: unknown } | null)?.code;
    const detail = typeof item === 'object' && item !== null ? (item as { detail?: unknown }).detail : null;
    if (typeof code === 'string' && known.has(code))
      out.push({ code: code as RiskReasonCode, detail: typeof detail === 'string' ? detail : null });
  }
  return out;
}

/** The summary an approval request shows: the proposal's, or where it has none, what changes from what to what. */
function summaryOf(row: ExperimentRow): string {
  return (
    proposalSummary(row.change) ??
    `${row.risk_tier}-risk change of ${row.agent_id}: ${row.baseline_version_id} -> ${row.candidate_version_id}`
  );
}

/** What experimentPolicy() and rampSchedule() make of the agent's newest policy (the defaults if it has none or it is invalid). */
function derivedPolicy(
  row: ExperimentRow,
  stored: { version: number; policy: unknown } | undefined,
): { policy: ExperimentPolicy; rampSchedule: RampStep[] } {
  const resolved = stored ? resolvePolicy(stored.policy) : null;
  const policy = resolved?.ok ? resolved.policy : defaultPolicy;
  return {
    policy: experimentPolicy(policy, resolved?.ok ? stored!.version : 0, row.risk_tier),
    rampSchedule: rampSchedule(policy),
  };
}

export interface LoadProblem {
  experimentId: string;
  problems: string[];
}

/**
 * The experiments `ids`, locked for this transaction in id order (a batch of another topic naming the same experiments
 * waits rather than deadlocks; so does the control plane pausing one), with their proposals and pending approvals.
 * An experiment whose stored policy, split or schedule is not what the contract says is left out and reported.
 */
async function lockExperiments(
  trx: Trx,
  ids: readonly string[],
  problems: LoadProblem[],
): Promise<Map<string, ExperimentRecord>> {
  const rows = await selectExperiments(trx).where('e.id', 'in', ids).orderBy('e.id').forUpdate('e').execute();
  if (rows.length === 0) return new Map();
  // The latest request of each experiment: the one an awaiting experiment waits on. It may be decided already (the
  // control plane records the decision, then publishes it): the judge acts when learning.approval.decided.v1 arrives.
  const latest = await trx
    .selectFrom('approvals')
    .distinctOn('experiment_id')
    .select(['id', 'experiment_id', 'expires_at', 'decision'])
    .where('experiment_id', 'in', ids)
    .orderBy('experiment_id')
    .orderBy('requested_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const latestOf = new Map(latest.map((r) => [r.experiment_id, r]));
  const stored = await trx
    .selectFrom('policies')
    .select(['agent_id', 'version', 'policy'])
    .where((eb) =>
      eb(
        eb.refTuple('agent_id', 'version'),
        'in',
        rows.map((r) => eb.tuple(r.agent_id, r.policy?.policyVersion ?? 0)),
      ),
    )
    .execute();
  const expiryOf = new Map(
    stored.map((r) => {
      const resolved = resolvePolicy(r.policy);
      return [
        `${r.agent_id}/${r.version}`,
        resolved.ok ? resolved.policy.promotion.approvalExpiryMs : defaultPolicy.promotion.approvalExpiryMs,
      ];
    }),
  );

  const currentOf = await getCurrentPolicies(
    trx,
    rows.filter((r) => r.policy === null).map((r) => r.agent_id),
  );

  const out = new Map<string, ExperimentRecord>();
  for (const row of rows) {
    // No stored policy: the agent's policy in force stands in (and is frozen in the judge's state, lockJudges).
    const fallback = row.policy === null ? derivedPolicy(row, currentOf.get(row.agent_id)) : null;
    const policy = fallback
      ? ({ ok: true, value: fallback.policy } as const)
      : asAvro<ExperimentPolicy>(policyType, row.policy);
    const schedule = fallback
      ? ({ ok: true, value: fallback.rampSchedule } as const)
      : asAvro<RampStep[]>(scheduleType, row.ramp_schedule);
    // A split stored some other way (older rows) is read as the candidate share with an equal measured baseline.
    const split = asAvro<TrafficSplit>(splitType, row.traffic_split);
    const share = Math.round(row.candidate_share * BUCKETS);
    const trafficSplit = split.ok
      ? split.value
      : {
          candidateBasisPoints: share,
          baselineBasisPoints: Math.min(share, BUCKETS - share),
          shadowSampleBasisPoints: 0,
        };
    const found = [
      ...(policy.ok ? policyProblems(policy.value) : policy.problems.map((p) => `policy.${p}`)),
      ...(schedule.ok ? [] : schedule.problems.map((p) => `ramp_schedule.${p}`)),
    ];
    if (!policy.ok || !schedule.ok || found.length > 0) {
      problems.push({ experimentId: row.id, problems: found });
      continue;
    }
    const approval = row.status === 'awaiting_approval' ? latestOf.get(row.id) : undefined;
    out.set(row.id, {
      id: row.id,
      agentId: row.agent_id,
      proposalId: row.proposal_id,
      sessionId: row.session_id,
      mode: row.mode,
      status: eventStatus(row.status, row.decision),
      version: row.version,
      salt: row.salt,
      trafficSplit,
      rampSchedule: schedule.value,
      rampStepIndex: row.ramp_step_index,
      policy: policy.value,
      startedAt: row.started_at.getTime(),
      riskTier: row.risk_tier,
      autoEligible: row.auto_eligible,
      baselineVersionId: row.baseline_version_id,
      candidateVersionId: row.candidate_version_id,
      riskReasons: riskReasonsOf(row.risk_reasons),
      summary: summaryOf(row),
      approvalExpiryMs:
        expiryOf.get(`${row.agent_id}/${policy.value.policyVersion}`) ?? defaultPolicy.promotion.approvalExpiryMs,
      pendingApproval: approval
        ? { id: approval.id, expiresAt: approval.expires_at?.getTime() ?? null, decided: approval.decision !== null }
        : null,
      derivedPolicy: fallback !== null,
    });
  }
  return out;
}

/** The judge's state of each experiment, created on first sight and locked (in id order, after the experiments). */
async function lockJudges(
  trx: Trx,
  experiments: ReadonlyMap<string, ExperimentRecord>,
  frozen: Set<string>,
): Promise<Map<string, JudgeState>> {
  const ids = [...experiments.keys()].sort();
  if (ids.length === 0) return new Map();
  const fresh = ids.map((id) => JSON.stringify(newJudgeState(experiments.get(id)!.startedAt)));
  await trx
    .insertInto('judge_experiments')
    .values(ids.map((id, i) => ({ experiment_id: id, state: fresh[i]! })))
    .onConflict((oc) => oc.column('experiment_id').doNothing())
    .execute();
  const rows = await trx
    .selectFrom('judge_experiments')
    .select(['experiment_id', 'state'])
    .where('experiment_id', 'in', ids)
    .orderBy('experiment_id')
    .forUpdate()
    .execute();
  const judges = new Map(rows.map((r) => [r.experiment_id, r.state as JudgeState]));
  // A policy derived for an experiment without one is frozen at first sight: later policy changes do not apply to it.
  for (const [id, experiment] of experiments) {
    if (!experiment.derivedPolicy) continue;
    const judge = judges.get(id)!;
    if (judge.derived) {
      experiment.policy = judge.derived.policy;
      experiment.rampSchedule = judge.derived.rampSchedule;
    } else {
      judge.derived = { policy: experiment.policy, rampSchedule: experiment.rampSchedule };
      frozen.add(id);
    }
  }
  return judges;
}

/**
 * `(a, b) IN` the pairs, as two array parameters: a batch names thousands of runs, and a VALUES list of that many
 * parameters costs more to parse and plan than the query takes to run (kysely writes tuples only as such a list).
 */
function inPairs(a: string, b: string, pairs: ReadonlyArray<readonly [string, string]>) {
  return sql<boolean>`(${sql.ref(a)}, ${sql.ref(b)}) IN (SELECT * FROM unnest(${pairs.map((p) => p[0])}::text[], ${pairs.map((p) => p[1])}::text[]))`;
}

/** Every arm's row of the (experiment, run) pairs the events name: a shadow pair is completed by its partner's row. */
async function loadRuns(
  trx: Trx,
  events: readonly ConsumedEvent[],
  experiments: ReadonlyMap<string, ExperimentRecord>,
): Promise<Map<string, RunRecord>> {
  const pairs = new Map<string, [string, string]>();
  for (const event of events) {
    const v = event.value as { experimentId?: string | null; runId?: string };
    if (typeof v.experimentId === 'string' && typeof v.runId === 'string' && experiments.has(v.experimentId))
      pairs.set(`${v.experimentId}\u0000${v.runId}`, [v.experimentId, v.runId]);
  }
  if (pairs.size === 0) return new Map();
  const list = [...pairs.values()];
  const rows = await trx
    .selectFrom('judge_runs')
    .select(['experiment_id', 'run_id', 'arm', 'assigned', 'version_id', 'completion', 'evaluation'])
    .where(inPairs('experiment_id', 'run_id', list))
    .execute();
  return new Map(
    rows.map((r) => [
      runKey(r.experiment_id, r.run_id, r.arm),
      {
        experimentId: r.experiment_id,
        runId: r.run_id,
        arm: r.arm,
        assigned: r.assigned,
        versionId: r.version_id,
        completion: r.completion as RunRecord['completion'],
        evaluation: r.evaluation as RunRecord['evaluation'],
      },
    ]),
  );
}

async function loadUnits(
  trx: Trx,
  events: readonly ConsumedEvent[],
  experiments: ReadonlyMap<string, ExperimentRecord>,
): Promise<Map<string, Arm>> {
  const keys: Array<[string, string]> = [];
  for (const event of events) {
    if (event.topic !== 'agent.run.assigned.v1') continue;
    const a = event.value as { experimentId: string; runId: string; unitId: string | null };
    if (experiments.get(a.experimentId)?.mode === 'ab') keys.push([a.experimentId, a.unitId ?? `run:${a.runId}`]);
  }
  if (keys.length === 0) return new Map();
  const rows = await trx
    .selectFrom('judge_units')
    .select(['experiment_id', 'unit_key', 'arm'])
    .where(inPairs('experiment_id', 'unit_key', keys))
    .execute();
  return new Map(rows.map((r) => [unitKey(r.experiment_id, r.unit_key), r.arm]));
}

async function loadApprovals(trx: Trx, events: readonly ConsumedEvent[]): Promise<Map<string, ApprovalRecord>> {
  const ids = events
    .filter((e) => e.topic === 'learning.approval.decided.v1')
    .map((e) => (e.value as { approvalId: string }).approvalId);
  if (ids.length === 0) return new Map();
  const rows = await trx
    .selectFrom('approvals')
    .select(['id', 'experiment_id', 'decision', 'approver'])
    .where('id', 'in', ids)
    .execute();
  return new Map(
    rows.map((r) => [r.id, { id: r.id, experimentId: r.experiment_id, decision: r.decision, approver: r.approver }]),
  );
}

/** Everything a batch needs, loaded and locked. */
export async function loadWorld(
  trx: Trx,
  events: readonly ConsumedEvent[],
): Promise<{ world: World; problems: LoadProblem[]; frozen: Set<string> }> {
  const problems: LoadProblem[] = [];
  const frozen = new Set<string>();
  const ids = experimentIdsOf(events);
  const experiments = ids.length > 0 ? await lockExperiments(trx, ids, problems) : new Map<string, ExperimentRecord>();
  const judges = await lockJudges(trx, experiments, frozen);
  const runs = await loadRuns(trx, events, experiments);
  const units = await loadUnits(trx, events, experiments);
  const approvals = await loadApprovals(trx, events);
  return { world: { experiments, judges, runs, units, approvals }, problems, frozen };
}

/** Writes back the runs and units the fold changed. */
export async function saveRunsAndUnits(trx: Trx, world: World, changes: Changes): Promise<void> {
  const runs = [...changes.runs].map((k) => world.runs.get(k)!);
  if (runs.length > 0) {
    await trx
      .insertInto('judge_runs')
      .columns(['experiment_id', 'run_id', 'arm', 'assigned', 'version_id', 'completion', 'evaluation'])
      // One array parameter per column rather than a VALUES row per run (a batch writes thousands; see inPairs).
      .expression(
        sql`SELECT s.experiment_id, s.run_id, s.arm, s.assigned, s.version_id, s.completion::jsonb, s.evaluation::jsonb
          FROM unnest(${runs.map((r) => r.experimentId)}::text[], ${runs.map((r) => r.runId)}::text[],
                      ${runs.map((r) => r.arm)}::text[], ${runs.map((r) => r.assigned)}::boolean[],
                      ${runs.map((r) => r.versionId)}::text[],
                      ${runs.map((r) => (r.completion ? JSON.stringify(r.completion) : null))}::text[],
                      ${runs.map((r) => (r.evaluation ? JSON.stringify(r.evaluation) : null))}::text[])
            AS s(experiment_id, run_id, arm, assigned, version_id, completion, evaluation)`,
      )
      .onConflict((oc) =>
        oc.columns(['experiment_id', 'run_id', 'arm']).doUpdateSet((eb) => ({
          assigned: eb.ref('excluded.assigned'),
          version_id: eb.ref('excluded.version_id'),
          completion: eb.ref('excluded.completion'),
          evaluation: eb.ref('excluded.evaluation'),
        })),
      )
      .execute();
  }
  const units = [...changes.units];
  if (units.length > 0) {
    const split = units.map((k) => k.split('\u0000') as [string, string]);
    await trx
      .insertInto('judge_units')
      .columns(['experiment_id', 'unit_key', 'arm'])
      .expression(
        sql`SELECT * FROM unnest(${split.map((s) => s[0])}::text[], ${split.map((s) => s[1])}::text[],
                                 ${units.map((k) => world.units.get(k)!)}::text[])`,
      )
      .onConflict((oc) => oc.columns(['experiment_id', 'unit_key']).doNothing())
      .execute();
  }
}

export async function saveJudges(trx: Trx, world: World, ids: Iterable<string>): Promise<void> {
  const list = [...ids];
  if (list.length === 0) return;
  // The rows exist and are locked (lockJudges): the insert always conflicts, and updates them.
  await trx
    .insertInto('judge_experiments')
    .values(list.map((id) => ({ experiment_id: id, state: JSON.stringify(world.judges.get(id)) })))
    .onConflict((oc) =>
      oc.column('experiment_id').doUpdateSet((eb) => ({ state: eb.ref('excluded.state'), updated_at: sql`now()` })),
    )
    .execute();
}

/**
 * An ended experiment's join state is no longer needed. Observations still waiting for the router's record then were
 * never assigned: they are counted as ignored (`unassigned`), the rest deleted.
 */
export async function dropJoinState(trx: Trx, experimentId: string): Promise<number> {
  const gone = await trx
    .with('gone', (db) =>
      db
        .deleteFrom('judge_runs')
        .where('experiment_id', '=', experimentId)
        .returning(['assigned', 'completion', 'evaluation']),
    )
    .selectFrom('gone')
    .select((eb) => {
      const waiting = (observation: 'completion' | 'evaluation') =>
        eb.fn.countAll<number>().filterWhere((w) => w.and([w.not(w.ref('assigned')), w(observation, 'is not', null)]));
      return [waiting('completion').as('completions'), waiting('evaluation').as('evaluations')];
    })
    .executeTakeFirstOrThrow();
  await trx.deleteFrom('judge_units').where('experiment_id', '=', experimentId).execute();
  return Number(gone.completions) + Number(gone.evaluations);
}
