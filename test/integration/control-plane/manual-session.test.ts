import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionTriggered } from '../../../lib/contracts/types.generated.ts';
import { requestApproval } from '../../../lib/db/repositories/approvals.ts';
import { updateExperiment } from '../../../lib/db/repositories/experiments.ts';
import { createToken } from '../../../lib/db/repositories/tokens.ts';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';
import { startFakeGenerator } from '../../helpers/fake-generator.ts';
import { eventually } from '../../helpers/judge.ts';
import { createCatalogTopics, topicPrefix } from '../../helpers/kafka-topics.ts';
import { startService, type ServiceProcess } from '../../helpers/service-process.ts';
import { watchTopic } from '../../helpers/watch-topic.ts';
import { testClients } from '../../helpers/clients.ts';
import { freshDatabase, type FreshDatabase } from '../../setup/database.ts';

const { shared, kafka, serde } = testClients('cp-manual');
const agentId = 'agent-manual';

let database: FreshDatabase;
let cp: TestControlPlane;
let proposer: ServiceProcess;
let generator: Awaited<ReturnType<typeof startFakeGenerator>>;
let triggers: Awaited<ReturnType<typeof watchTopic<SessionTriggered>>>;
/** One person, dana, with two tokens: she operates the agent and also approves changes. */
const dana: { operator?: string; approver?: string } = {};

beforeAll(async () => {
  const prefix = topicPrefix('cp-manual');
  await createCatalogTopics(kafka, prefix);
  database = await freshDatabase();
  generator = await startFakeGenerator({
    '/propose': {
      kind: 'proposals',
      body: { proposals: [{ summary: 'a larger model', change: { model: 'model-b' } }] },
    },
  });
  proposer = await startService('proposer', { ...shared, DATABASE_URL: database.url, LEARNLOOP_TOPIC_PREFIX: prefix });
  cp = await startTestControlPlane(database.db, database.url, prefix);
  dana.operator = (await createToken(database.db, { name: 'dana', role: 'operator', created_by: 'test' })).token;
  dana.approver = (await createToken(database.db, { name: 'dana', role: 'approver', created_by: 'test' })).token;
  triggers = await watchTopic<SessionTriggered>(kafka, serde, `${prefix}.learning.session.triggered.v1`);
}, 120_000);

afterAll(async () => {
  await triggers?.stop();
  await cp?.stop();
  await proposer?.stop();
  await generator?.close();
  await database?.drop();
});

const as = (token: string | undefined) => ({ authorization: `Bearer ${token}` });

describe('a session started by hand', () => {
  it('reaches the proposer as a manual trigger, and its starter may not approve its change', async () => {
    expect((await cp.call(as(dana.operator), 'PUT', `/api/agents/${agentId}`, {})).status).toBe(201);
    const version = await cp.call(as(dana.operator), 'POST', `/api/agents/${agentId}/versions`, {
      config: { instructions: 'Answer briefly.', model: 'model-a' },
      live: true,
    });
    expect(version.status).toBe(201);
    const policy = await cp.call(as(dana.operator), 'POST', `/api/agents/${agentId}/learning/policy`, {
      policy: { generator: { kind: 'http', url: `${generator.url}/propose` } },
    });
    expect(policy.status).toBe(201);

    const started = await cp.call(as(dana.operator), 'POST', `/api/agents/${agentId}/learning/sessions`, {
      reason: 'customers complain about tone',
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toMatchObject({
      trigger: 'manual',
      startedBy: 'dana',
      reason: 'customers complain about tone',
    });
    const event = await triggers.find((e) => e.sessionId === started.body.id, 60_000);
    expect(event).toMatchObject({
      agentId,
      trigger: 'manual',
      requestedBy: 'dana',
      agentVersionId: version.body.id,
      thresholdsCrossed: [],
    });

    // The person's reason travels with the event.
    expect(event.reason).toBe('customers complain about tone');

    // Single flight: a second session waits for this one.
    const second = await cp.call('operator', 'POST', `/api/agents/${agentId}/learning/sessions`, { reason: 'again' });
    expect(second.status).toBe(409);

    // The proposer turns it into a high-risk proposal and a shadow experiment.
    const experiment = await eventually(
      'the proposer to start an experiment',
      () => database.db.selectFrom('experiments').selectAll().where('agent_id', '=', agentId).executeTakeFirst(),
      60_000,
    );
    expect(experiment).toMatchObject({ mode: 'shadow', status: 'running' });
    const proposal = await database.db
      .selectFrom('proposals')
      .selectAll()
      .where('id', '=', experiment.proposal_id)
      .executeTakeFirstOrThrow();
    expect(proposal).toMatchObject({ session_id: started.body.id, risk_tier: 'high' });

    // Standing in for the judge: the candidate passed, approval requested.
    const moved = await updateExperiment(database.db, experiment.id, experiment.version, {
      status: 'awaiting_approval',
    });
    expect(moved.ok).toBe(true);
    const { approval } = await requestApproval(database.db, {
      experiment_id: experiment.id,
      proposal_id: proposal.id,
      expires_at: new Date(Date.now() + 3_600_000),
    });

    const listed = await cp.call('viewer', 'GET', `/api/approvals?agentId=${agentId}`);
    expect(listed.body).toEqual([
      expect.objectContaining({
        id: approval.id,
        sessionTrigger: 'manual',
        sessionStartedBy: 'dana',
        status: 'pending',
      }),
    ]);
    const refused = await cp.call(
      as(dana.approver),
      'POST',
      `/api/approvals/${encodeURIComponent(approval.id)}/decision`,
      { decision: 'approved' },
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/dana started session .* and may not decide its approval/);
    expect(
      (
        await database.db
          .selectFrom('approvals')
          .select('decision')
          .where('id', '=', approval.id)
          .executeTakeFirstOrThrow()
      ).decision,
    ).toBeNull();

    const decided = await cp.call('approver', 'POST', `/api/approvals/${encodeURIComponent(approval.id)}/decision`, {
      decision: 'approved',
      reason: 'second pair of eyes',
    });
    expect(decided.status).toBe(200);
    expect(decided.body.approval).toMatchObject({ status: 'approved', approver: 'approver-person' });
  }, 180_000);

  it('is refused while the agent is paused, and for an unknown agent', async () => {
    const other = 'agent-paused';
    expect((await cp.call('operator', 'PUT', `/api/agents/${other}`, {})).status).toBe(201);
    expect(
      (await cp.call('operator', 'POST', `/api/agents/${other}/learning/pause`, { reason: 'maintenance' })).status,
    ).toBe(200);
    const refused = await cp.call('operator', 'POST', `/api/agents/${other}/learning/sessions`, {
      reason: 'try anyway',
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/paused/);
    expect(await database.db.selectFrom('sessions').select('id').where('agent_id', '=', other).execute()).toEqual([]);
    expect((await cp.call('operator', 'POST', '/api/agents/nobody/learning/sessions', { reason: 'x' })).status).toBe(
      404,
    );
    expect((await cp.call('viewer', 'POST', `/api/agents/${other}/learning/sessions`, { reason: 'x' })).status).toBe(
      403,
    );
  }, 60_000);
});
