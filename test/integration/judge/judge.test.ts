import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../lib/audit/verify.ts';
import { decideApproval, getApproval } from '../../../lib/db/repositories/approvals.ts';
import { getAgent } from '../../../lib/db/repositories/agents.ts';
import { getExperiment } from '../../../lib/db/repositories/experiments.ts';
import { getSession } from '../../../lib/db/repositories/sessions.ts';
import { replayAuditEntry } from '../../../services/experiment-judge/replay.pure.ts';
import {
  abRuns,
  eventually,
  judgeSettled,
  hour,
  produce,
  produceRuns,
  readEvents,
  seedExperiment,
  shadowRuns,
  testPolicy,
} from '../../helpers/judge.ts';
import { startJudgeInProcess } from '../../helpers/judge-service.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated as isolatedStack } from '../../helpers/isolated.ts';
import type { FreshDatabase } from '../../setup/database.ts';

const { kafka, serde } = testClients('judge-test');

const cleanup = useCleanups();

/** Its own topics (every catalog topic, prefixed) and database, and the environment the judge needs. */
const isolated = (label: string) => isolatedStack(kafka, label, cleanup);

async function judge(env: NodeJS.ProcessEnv) {
  const running = await startJudgeInProcess(env);
  cleanup(() => running.stop());
  return running;
}

const settled = (
  database: FreshDatabase,
  prefix: string,
  experimentId: string,
  statuses: readonly string[],
  timeoutMs?: number,
) => judgeSettled(database.db, prefix, experimentId, statuses, timeoutMs);

const dayAgo = () => new Date(Date.now() - 24 * hour);
const winner = { baseline: { scoreMean: 0.6, failureRate: 0.02 }, candidate: { scoreMean: 0.75, failureRate: 0.02 } };

describe('experiment-judge on the real stack', () => {
  it('a low-risk winner: from tagged runs to learning.version.promoted.v1 (auto), with the approval, live version, session and audit to match', async () => {
    const { prefix, database, env } = await isolated('judge-auto');
    const e = await seedExperiment(database.db, { riskTier: 'low', policy: testPolicy(), startedAt: dayAgo() });
    await judge(env);
    await produceRuns(kafka, serde, prefix, abRuns(e, 600, winner, { seed: 1, intervalMs: 20_000 }));
    expect(await settled(database, prefix, e.experimentId, ['promoted', 'failed', 'inconclusive', 'closed'])).toBe(
      'promoted',
    );

    const promoted = await readEvents(kafka, serde, prefix, 'learning.version.promoted.v1');
    expect(promoted).toHaveLength(1);
    expect(promoted[0]).toMatchObject({
      agentId: e.agentId,
      previousVersionId: e.baselineVersionId,
      promotedVersionId: e.candidateVersionId,
      mode: 'auto',
      experimentId: e.experimentId,
      approvalDecision: 'auto_approved',
      approver: null,
      riskTier: 'low',
    });
    const approval = await getApproval(database.db, promoted[0]!.approvalId!);
    expect(approval).toMatchObject({ decision: 'auto_approved', auto_approved: true, experiment_id: e.experimentId });
    expect((await getAgent(database.db, e.agentId))?.live_version_id).toBe(e.candidateVersionId);
    expect(await getSession(database.db, e.sessionId)).toMatchObject({ status: 'closed' });
    const experiment = await getExperiment(database.db, e.experimentId);
    expect(experiment).toMatchObject({ status: 'promoted', candidate_share: 0 });
    expect(experiment!.ended_at).toBeInstanceOf(Date);

    const verdicts = await readEvents(kafka, serde, prefix, 'learning.experiment.verdict.v1');
    expect(verdicts.at(-1)).toMatchObject({ decision: 'promote', reasons: [{ code: 'primary_better_sustained' }] });
    expect(verdicts.at(-1)!.statistics.primary).toMatchObject({ metric: 'score', outcome: 'better' });
    expect(new Set(verdicts.map((v) => v.eventId)).size).toBe(verdicts.length);
    // Nothing promoted before the minimums: the first verdicts say why it continued.
    expect(verdicts[0]!.decision).toBe('continue');
    expect(verdicts[0]!.reasons.map((r) => r.code)).toContain('minimum_runs_not_reached');

    const states = await readEvents(kafka, serde, prefix, 'learning.experiment.state.v1');
    expect(states.map((s) => s.status)).toEqual(['promoted']);
    expect(states[0]).toMatchObject({
      version: 2,
      changedBy: 'experiment-judge',
      experimentId: e.experimentId,
      trafficSplit: { candidateBasisPoints: 0 },
    });

    // The audit log has every decision with its inputs, and each one recomputes to the same decision.
    const audit = await database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject_id', '=', e.experimentId)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => a.action).at(-1)).toBe('experiment.promoted');
    expect(audit.length).toBe(verdicts.length);
    for (const row of audit) expect(replayAuditEntry(row)).toMatchObject({ matches: true });
    expect(await verifyAuditChain(database.db)).toMatchObject({ ok: true });
    // The join state of an ended experiment is dropped.
    expect(await database.db.selectFrom('judge_runs').selectAll().execute()).toEqual([]);
  });

  it('a high-risk winner: approval requested, then approved, then promoted (manual, the approver recorded)', async () => {
    const { prefix, database, env } = await isolated('judge-approval');
    const e = await seedExperiment(database.db, {
      riskTier: 'high',
      policy: testPolicy({ autoPromote: false, forbidCostIncrease: false }),
      startedAt: dayAgo(),
    });
    await judge(env);
    await produceRuns(kafka, serde, prefix, abRuns(e, 600, winner, { seed: 2, intervalMs: 20_000 }));
    expect(await settled(database, prefix, e.experimentId, ['awaiting_approval', 'failed', 'inconclusive'])).toBe(
      'awaiting_approval',
    );

    const requested = await readEvents(kafka, serde, prefix, 'learning.approval.requested.v1');
    expect(requested).toHaveLength(1);
    const request = requested[0]!;
    expect(request).toMatchObject({
      experimentId: e.experimentId,
      riskTier: 'high',
      riskReasons: [{ code: 'model_changed', detail: 'm1 -> m2' }],
      summary: 'cite sources in answers',
      // A session opened by the thresholds: nobody started it by hand.
      sessionStartedBy: null,
    });
    expect(request.expiresAt.getTime() - request.requestedAt.getTime()).toBe(72 * hour);
    expect(request.statistics.primary?.outcome).toBe('better');
    expect(await readEvents(kafka, serde, prefix, 'learning.version.promoted.v1')).toEqual([]);
    expect((await getAgent(database.db, e.agentId))?.live_version_id).toBe(e.baselineVersionId);

    // The control plane records the decision and publishes it.
    const decidedAt = new Date();
    await decideApproval(database.db, request.approvalId, {
      decision: 'approved',
      approver: 'alice',
      decided_at: decidedAt,
    });
    await produce(kafka, serde, prefix, 'learning.approval.decided.v1', [
      {
        eventId: `decided-${request.approvalId}`,
        approvalId: request.approvalId,
        experimentId: e.experimentId,
        agentId: e.agentId,
        candidateVersionId: e.candidateVersionId,
        decision: 'approved',
        approver: 'alice',
        source: 'slack',
        reason: 'looks good',
        decidedAt,
      },
    ]);
    expect(await settled(database, prefix, e.experimentId, ['promoted', 'failed', 'running'])).toBe('promoted');
    const promoted = await readEvents(kafka, serde, prefix, 'learning.version.promoted.v1');
    expect(promoted).toHaveLength(1);
    expect(promoted[0]).toMatchObject({
      mode: 'manual',
      approvalId: request.approvalId,
      approvalDecision: 'approved',
      approver: 'alice',
      riskTier: 'high',
    });
    expect((await getAgent(database.db, e.agentId))?.live_version_id).toBe(e.candidateVersionId);
    const states = await readEvents(kafka, serde, prefix, 'learning.experiment.state.v1');
    expect(states.map((s) => [s.version, s.status])).toEqual([
      [2, 'awaiting_approval'],
      [3, 'promoted'],
    ]);
    const audit = await database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject_id', '=', e.experimentId)
      .orderBy('id')
      .execute();
    for (const row of audit) expect(replayAuditEntry(row)).toMatchObject({ matches: true });
  });

  it('observations that arrive before the router’s record wait for it; one the router never assigned is never counted', async () => {
    const { prefix, database, env } = await isolated('judge-join');
    const e = await seedExperiment(database.db, {
      riskTier: 'low',
      policy: testPolicy({ minRunsPerArm: 10_000 }),
      startedAt: dayAgo(),
    });
    const running = await judge(env);
    const runs = abRuns(e, 200, winner, { seed: 4, intervalMs: 20_000 });
    // Completions and evaluations first (a router that lags), then the router's records for all but the last ten runs.
    await produce(kafka, serde, prefix, 'agent.run.completed.v1', runs.completed);
    await produce(kafka, serde, prefix, 'agent.run.evaluated.v1', runs.evaluated);
    // And one that claims an arm it was not assigned (its run was assigned to the other arm).
    const liar = {
      ...runs.completed[0]!,
      eventId: 'liar',
      arm: runs.completed[0]!.arm === 'baseline' ? ('candidate' as const) : ('baseline' as const),
    };
    await produce(kafka, serde, prefix, 'agent.run.completed.v1', [liar]);
    await eventually('observations parked', async () => {
      const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM judge_runs WHERE NOT assigned`.execute(
        database.db,
      );
      return Number(rows[0]?.n) === 201 ? true : undefined;
    });
    await produce(kafka, serde, prefix, 'agent.run.assigned.v1', runs.assigned.slice(0, 190));
    const state = await eventually('matched', async () => {
      const { rows } = await sql<{
        state: {
          statistics: {
            baseline: { score: { n: number }; failure: { n: number } };
            candidate: { score: { n: number }; failure: { n: number } };
          };
        };
      }>`
        SELECT state FROM judge_experiments WHERE experiment_id = ${e.experimentId}`.execute(database.db);
      const s = rows[0]?.state.statistics;
      return s && s.baseline.score.n + s.candidate.score.n === 190 ? s : undefined;
    });
    expect(state.baseline.failure.n + state.candidate.failure.n).toBe(190);
    const waiting = await sql<{
      run_id: string;
    }>`SELECT run_id FROM judge_runs WHERE NOT assigned ORDER BY run_id`.execute(database.db);
    expect(waiting.rows).toHaveLength(11);
    const metric = await running.metrics.getSingleMetric('learnloop_judge_events_total')!.get();
    const of = (kind: string, outcome: string) =>
      metric.values
        .filter((v) => v.labels['kind'] === kind && v.labels['outcome'] === outcome)
        .reduce((a, v) => a + v.value, 0);
    expect(of('completion', 'parked')).toBe(201);
    expect(of('completion', 'matched_late') + of('evaluation', 'matched_late')).toBe(380);
  });

  it('shadow mode, with the policy the agent’s (no policy stored on the experiment): paired scores, then an approval request', async () => {
    const { prefix, database, env } = await isolated('judge-shadow');
    // As the proposer opens a high-risk change by default: shadow mode, 10% of baseline runs also run on the candidate.
    const e = await seedExperiment(database.db, {
      riskTier: 'high',
      policy: null,
      mode: 'shadow',
      split: { candidateBasisPoints: 0, baselineBasisPoints: 0, shadowSampleBasisPoints: 1000 },
      startedAt: new Date(Date.now() - 4 * 24 * hour),
    });
    await judge(env);
    // The default policy: 500 pairs, a day, six hours sustained; 1,200 inputs three minutes apart span 60 hours.
    await produceRuns(kafka, serde, prefix, shadowRuns(e, 1200, 0.05, { seed: 5, intervalMs: 3 * 60_000 }));
    expect(
      await settled(database, prefix, e.experimentId, ['awaiting_approval', 'failed', 'inconclusive', 'promoted']),
    ).toBe('awaiting_approval');
    const [request] = await readEvents(kafka, serde, prefix, 'learning.approval.requested.v1');
    expect(request).toMatchObject({ experimentId: e.experimentId, riskTier: 'high', policyVersion: 0 });
    expect(request!.statistics.arms.map((a) => a.arm)).toEqual(['baseline', 'shadow']);
    expect(request!.statistics.primary).toMatchObject({ metric: 'score', outcome: 'better' });
    expect(request!.statistics.srm).toBeNull();
    const states = await readEvents(kafka, serde, prefix, 'learning.experiment.state.v1');
    expect(states.map((s) => s.status)).toEqual(['awaiting_approval']);
    // The derived policy is the default one for a high-risk change, and is what the state carries.
    expect(states[0]!.policy).toMatchObject({ minRunsPerArm: 500, autoPromote: false, forbidCostIncrease: false });
    const audit = await database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject_id', '=', e.experimentId)
      .orderBy('id')
      .execute();
    // After the request, the verdict says it waits (approval_required) while the guardrails keep being watched.
    expect(audit.slice(-2).map((a) => a.action)).toEqual(['experiment.approval_requested', 'experiment.verdict']);
    const requested = audit.at(-2)!.payload as { primaryDetail: { pairs: number; winRate: number } };
    expect(requested.primaryDetail.pairs).toBeGreaterThanOrEqual(500);
    expect(requested.primaryDetail.winRate).toBeGreaterThan(0.6);
    for (const row of audit) expect(replayAuditEntry(row)).toMatchObject({ matches: true });
  });

  it('an A/A experiment ends inconclusive at its maximum duration, without promotion', async () => {
    const { prefix, database, env } = await isolated('judge-aa');
    const e = await seedExperiment(database.db, {
      riskTier: 'low',
      policy: testPolicy({ maxDurationMs: 2 * hour }),
      startedAt: dayAgo(),
    });
    await judge(env);
    const same = { scoreMean: 0.7, failureRate: 0.02 };
    await produceRuns(
      kafka,
      serde,
      prefix,
      abRuns(e, 600, { baseline: same, candidate: same }, { seed: 3, intervalMs: 20_000 }),
    );
    expect(
      await settled(database, prefix, e.experimentId, [
        'promoted',
        'failed',
        'inconclusive',
        'closed',
        'awaiting_approval',
      ]),
    ).toBe('inconclusive');
    expect(await readEvents(kafka, serde, prefix, 'learning.version.promoted.v1')).toEqual([]);
    const verdicts = await readEvents(kafka, serde, prefix, 'learning.experiment.verdict.v1');
    expect(verdicts.at(-1)).toMatchObject({ decision: 'fail' });
    expect(verdicts.at(-1)!.reasons[0]!.code).toBe('maximum_duration_reached');
    expect(verdicts.some((v) => v.decision === 'promote' || v.decision === 'request_approval')).toBe(false);
    expect((await getAgent(database.db, e.agentId))?.live_version_id).toBe(e.baselineVersionId);
    const states = await readEvents(kafka, serde, prefix, 'learning.experiment.state.v1');
    expect(states.map((s) => s.status)).toEqual(['inconclusive']);
  });
});
