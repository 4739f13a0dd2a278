import { describe, expect, it } from 'vitest';
import { getAgent } from '../../../lib/db/repositories/agents.ts';
import { getApproval } from '../../../lib/db/repositories/approvals.ts';
import { startTestControlPlane } from '../../helpers/control-plane.ts';
import {
  abRuns,
  judgeSettled,
  hour,
  produceRuns,
  readEvents,
  seedExperiment,
  testPolicy,
} from '../../helpers/judge.ts';
import { startJudgeInProcess } from '../../helpers/judge-service.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated as isolatedStack } from '../../helpers/isolated.ts';
import type { FreshDatabase } from '../../setup/database.ts';

/**
 * A high-risk winner waits for a person (the judge's approval request); the person decides through the control plane's
 * API, which records the decision and publishes it; the judge then promotes (or closes) the experiment.
 */

const { kafka, serde } = testClients('cp-approval');
const cleanup = useCleanups();

const settled = (
  database: FreshDatabase,
  prefix: string,
  experimentId: string,
  statuses: readonly string[],
  timeoutMs?: number,
) => judgeSettled(database.db, prefix, experimentId, statuses, timeoutMs);

const winner = { baseline: { scoreMean: 0.6, failureRate: 0.02 }, candidate: { scoreMean: 0.75, failureRate: 0.02 } };

describe('approvals through the API', () => {
  it('an approval through the API promotes through the judge; a rejection closes the experiment and keeps the live version', async () => {
    const { prefix, database, env } = await isolatedStack(kafka, 'cp-approval', cleanup);
    // High risk, and a policy that never promotes by itself: a person decides.
    const policy = testPolicy({ autoPromote: false, forbidCostIncrease: false });
    const startedAt = new Date(Date.now() - 24 * hour);
    const approved = await seedExperiment(database.db, { riskTier: 'high', policy, startedAt });
    const rejected = await seedExperiment(database.db, { riskTier: 'high', policy, startedAt });
    const cp = await startTestControlPlane(database.db, database.url, prefix);
    cleanup(() => cp.stop());
    const judge = await startJudgeInProcess(env);
    cleanup(() => judge.stop());

    const approvedRuns = abRuns(approved, 600, winner, { seed: 2, intervalMs: 20_000 });
    const rejectedRuns = abRuns(rejected, 600, winner, { seed: 3, intervalMs: 20_000 });
    await produceRuns(kafka, serde, prefix, {
      assigned: [...approvedRuns.assigned, ...rejectedRuns.assigned],
      completed: [...approvedRuns.completed, ...rejectedRuns.completed],
      evaluated: [...approvedRuns.evaluated, ...rejectedRuns.evaluated],
    });
    for (const e of [approved, rejected])
      expect(await settled(database, prefix, e.experimentId, ['awaiting_approval', 'failed', 'inconclusive'])).toBe(
        'awaiting_approval',
      );

    const pending = await cp.call('viewer', 'GET', '/api/approvals?status=pending');
    expect(pending.status).toBe(200);
    const requestOf = (experimentId: string) =>
      pending.body.find((a: { experimentId: string }) => a.experimentId === experimentId);
    expect(pending.body).toHaveLength(2);
    for (const e of [approved, rejected]) {
      expect(requestOf(e.experimentId)).toMatchObject({
        agentId: e.agentId,
        status: 'pending',
        riskTier: 'high',
        approver: null,
        expired: false,
        baselineVersionId: e.baselineVersionId,
        candidateVersionId: e.candidateVersionId,
        sessionId: e.sessionId,
      });
    }
    const approvalId = requestOf(approved.experimentId).id as string;
    const rejectionId = requestOf(rejected.experimentId).id as string;
    expect(await readEvents(kafka, serde, prefix, 'learning.version.promoted.v1')).toEqual([]);

    // The approver decides both, through the API.
    const yes = await cp.call('approver', 'POST', `/api/approvals/${approvalId}/decision`, {
      decision: 'approved',
      reason: 'the numbers are convincing',
    });
    expect(yes.status).toBe(200);
    expect(yes.body).toMatchObject({
      applied: true,
      approval: {
        id: approvalId,
        status: 'approved',
        approver: 'approver-person',
        reason: 'the numbers are convincing',
      },
    });
    const no = await cp.call('approver', 'POST', `/api/approvals/${rejectionId}/decision`, {
      decision: 'rejected',
      reason: 'not this quarter',
    });
    expect(no.body).toMatchObject({
      applied: true,
      approval: { id: rejectionId, status: 'rejected', approver: 'approver-person' },
    });

    expect(await settled(database, prefix, approved.experimentId, ['promoted', 'failed', 'running', 'closed'])).toBe(
      'promoted',
    );
    expect(await settled(database, prefix, rejected.experimentId, ['promoted', 'failed', 'running', 'closed'])).toBe(
      'closed',
    );

    // Promoted: the live version, the event the routers follow, the approval row, all with the approver from the token.
    expect((await getAgent(database.db, approved.agentId))?.live_version_id).toBe(approved.candidateVersionId);
    const promoted = await readEvents(kafka, serde, prefix, 'learning.version.promoted.v1');
    expect(promoted).toHaveLength(1);
    expect(promoted[0]).toMatchObject({
      agentId: approved.agentId,
      previousVersionId: approved.baselineVersionId,
      promotedVersionId: approved.candidateVersionId,
      mode: 'manual',
      experimentId: approved.experimentId,
      approvalId,
      approvalDecision: 'approved',
      approver: 'approver-person',
      riskTier: 'high',
    });
    expect(await getApproval(database.db, approvalId)).toMatchObject({
      decision: 'approved',
      approver: 'approver-person',
      auto_approved: false,
    });
    const decided = await readEvents(kafka, serde, prefix, 'learning.approval.decided.v1');
    expect(decided.map((d) => [d.approvalId, d.decision, d.approver, d.source]).sort()).toEqual(
      [
        [approvalId, 'approved', 'approver-person', 'api'],
        [rejectionId, 'rejected', 'approver-person', 'api'],
      ].sort(),
    );

    // Rejected: closed, the baseline stays live.
    expect((await getAgent(database.db, rejected.agentId))?.live_version_id).toBe(rejected.baselineVersionId);
    expect(await getApproval(database.db, rejectionId)).toMatchObject({
      decision: 'rejected',
      approver: 'approver-person',
      reason: 'not this quarter',
    });

    // What the API shows afterwards: the experiments with their decision and statistics, and nothing pending.
    const [shown] = (await cp.call('viewer', 'GET', `/api/agents/${approved.agentId}/learning/experiments`)).body;
    expect(shown).toMatchObject({
      id: approved.experimentId,
      status: 'promoted',
      decision: { action: 'promote' },
      latestApproval: { id: approvalId, status: 'approved', approver: 'approver-person' },
    });
    expect(shown.statistics).not.toBeNull();
    expect(shown.statistics.primary).toMatchObject({ metric: 'score', outcome: 'better' });
    expect(shown.armCounts.baseline + shown.armCounts.candidate).toBe(600);
    const [closed] = (await cp.call('viewer', 'GET', `/api/agents/${rejected.agentId}/learning/experiments`)).body;
    expect(closed).toMatchObject({
      id: rejected.experimentId,
      status: 'closed',
      decision: { action: 'reject' },
      latestApproval: { id: rejectionId, status: 'rejected' },
    });
    expect((await cp.call('viewer', 'GET', '/api/approvals?status=pending')).body).toEqual([]);
    // Deciding again changes nothing.
    const again = await cp.call('approver', 'POST', `/api/approvals/${rejectionId}/decision`, { decision: 'approved' });
    expect(again.body).toMatchObject({ applied: false, approval: { status: 'rejected' } });
  }, 240_000);
});
