import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../lib/audit/verify.ts';
import { testClients } from '../../helpers/clients.ts';
import { seedPendingApproval, startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';
import { seedExperiment, testPolicy } from '../../helpers/judge.ts';
import { createCatalogTopics, topicPrefix } from '../../helpers/kafka-topics.ts';
import { useFreshDatabase } from '../../setup/database.ts';

/**
 * Many writers at once, of every kind that takes shared locks (pause and resume: the experiment, the agent, the outbox,
 * the audit chain; decisions: experiment, approval, outbox, chain; policy edits; live versions): none may fail or wait
 * on another for ever, and what they leave must add up.
 */

const database = useFreshDatabase();
const { kafka } = testClients('cp-concurrency');
let cp: TestControlPlane;

beforeAll(async () => {
  const prefix = topicPrefix('cp-concurrency');
  await createCatalogTopics(kafka, prefix);
  cp = await startTestControlPlane(database().db, database().url, prefix);
});
afterAll(() => cp?.stop());

describe('concurrent writes', () => {
  it('pauses, resumes, decisions, policy edits and live versions at once: no error, versions and audit chain consistent', async () => {
    const db = database().db;
    const busy = await seedExperiment(db, { riskTier: 'low', policy: testPolicy(), startedAt: new Date() });
    const approvals = await Promise.all(Array.from({ length: 8 }, () => seedPendingApproval(db)));
    expect((await cp.call('operator', 'PUT', '/api/agents/quiet', {})).status).toBe(201);

    const requests: Array<Promise<{ status: number }>> = [];
    for (let i = 0; i < 8; i++) {
      requests.push(
        cp.call('operator', 'POST', `/api/agents/${busy.agentId}/learning/${i % 2 === 0 ? 'pause' : 'resume'}`, {
          reason: `round ${i}`,
        }),
      );
      requests.push(
        cp.call('approver', 'POST', `/api/approvals/${encodeURIComponent(approvals[i]!.approvalId)}/decision`, {
          decision: i % 2 === 0 ? 'approved' : 'rejected',
        }),
      );
      requests.push(
        cp.call('operator', 'POST', `/api/agents/${busy.agentId}/learning/policy`, {
          policy: { trigger: { minRuns: 60 + i } },
        }),
      );
      requests.push(
        cp.call('operator', 'POST', '/api/agents/quiet/versions', {
          config: { model: 'm', instructions: `v${i}` },
          live: true,
        }),
      );
    }
    const answers = await Promise.all(requests);
    expect(answers.map((a) => a.status).filter((s) => s >= 500)).toEqual([]);
    expect(answers.filter((a) => a.status >= 400)).toEqual([]);

    // Pause and resume move the flag and the experiment together; each that changed them is audited and bumped the
    // experiment's version by one, to the version it recorded.
    const experiment = await db
      .selectFrom('experiments')
      .select(['status', 'version'])
      .where('id', '=', busy.experimentId)
      .executeTakeFirstOrThrow();
    const changes = await db
      .selectFrom('audit_log')
      .select('payload')
      .where('agent_id', '=', busy.agentId)
      .where('action', 'in', ['learning.paused', 'learning.resumed'])
      .orderBy('id')
      .execute();
    expect(changes.map((c) => (c.payload as { experiment: { version: number } }).experiment.version)).toEqual(
      changes.map((_, i) => i + 2),
    );
    expect(experiment.version).toBe(1 + changes.length);
    const decided = await db
      .selectFrom('approvals')
      .select('decision')
      .where(
        'id',
        'in',
        approvals.map((a) => a.approvalId),
      )
      .execute();
    expect(decided.every((a) => a.decision === 'approved' || a.decision === 'rejected')).toBe(true);
    const versions = await db
      .selectFrom('policies')
      .select('version')
      .where('agent_id', '=', busy.agentId)
      .orderBy('version')
      .execute();
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true });
  }, 120_000);

  it('a pause that crosses a decision on its way to the judge leaves the experiment to that decision', async () => {
    const db = database().db;
    const waiting = await seedPendingApproval(db);
    const decided = await cp.call(
      'approver',
      'POST',
      `/api/approvals/${encodeURIComponent(waiting.approvalId)}/decision`,
      { decision: 'rejected', reason: 'no' },
    );
    expect(decided.status).toBe(200);
    // The judge has not consumed the decision yet (it is not running here): pausing now must not make it stale.
    const paused = await cp.call('operator', 'POST', `/api/agents/${waiting.agentId}/learning/pause`, {
      reason: 'incident',
    });
    expect(paused.body).toMatchObject({
      paused: true,
      changed: true,
      experiment: { id: waiting.experimentId, status: 'awaiting_approval', version: 2 },
    });
    const row = await db
      .selectFrom('experiments')
      .select(['status', 'version'])
      .where('id', '=', waiting.experimentId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'awaiting_approval', version: 2 });
  }, 60_000);
});
