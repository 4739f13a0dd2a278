import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalDecided, VersionPromoted } from '../../../lib/contracts/types.generated.ts';
import { agentVersionId } from '../../../lib/db/repositories/agents.ts';
import { updateExperiment } from '../../../lib/db/repositories/experiments.ts';
import { createToken } from '../../../lib/db/repositories/tokens.ts';
import { testClients } from '../../helpers/clients.ts';
import { seedPendingApproval, startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';
import { seedExperiment, testPolicy } from '../../helpers/judge.ts';
import { createCatalogTopics, topicPrefix } from '../../helpers/kafka-topics.ts';
import { watchTopic } from '../../helpers/watch-topic.ts';
import { useFreshDatabase } from '../../setup/database.ts';

const database = useFreshDatabase();
const { kafka, serde } = testClients('cp-api');
const db = () => database().db;
let cp: TestControlPlane;
let promoted: Awaited<ReturnType<typeof watchTopic<VersionPromoted>>>;
let decided: Awaited<ReturnType<typeof watchTopic<ApprovalDecided>>>;

beforeAll(async () => {
  const prefix = topicPrefix('cp-api');
  await createCatalogTopics(kafka, prefix);
  cp = await startTestControlPlane(db(), database().url, prefix);
  [promoted, decided] = await Promise.all([
    watchTopic<VersionPromoted>(kafka, serde, `${prefix}.learning.version.promoted.v1`),
    watchTopic<ApprovalDecided>(kafka, serde, `${prefix}.learning.approval.decided.v1`),
  ]);
});
afterAll(async () => {
  await Promise.all([promoted?.stop(), decided?.stop(), cp?.stop()]);
});

const config = (instructions: string) => ({
  model: 'm1',
  instructions,
  tools: [],
  memory: {},
  guardrails: [],
  parameters: {},
});
const tokenIdOf = async (name: string) =>
  (await db().selectFrom('api_tokens').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
const auditOf = async (agentId: string) =>
  (await cp.call('viewer', 'GET', `/api/audit?agentId=${agentId}`)).body.entries as Array<Record<string, any>>;

async function agentWithVersions(agentId: string, ...instructions: string[]): Promise<string[]> {
  expect((await cp.call('operator', 'PUT', `/api/agents/${agentId}`, {})).status).toBe(201);
  const ids: string[] = [];
  for (const text of instructions)
    ids.push((await cp.call('operator', 'POST', `/api/agents/${agentId}/versions`, { config: config(text) })).body.id);
  return ids;
}

describe('agents', () => {
  it('registers an agent (201), answers 200 when it exists, and audits a rename', async () => {
    const created = await cp.call('operator', 'PUT', '/api/agents/support-bot', { name: 'Support' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'support-bot', name: 'Support', liveVersionId: null });
    expect((await cp.call('operator', 'PUT', '/api/agents/support-bot', { name: 'Support' })).status).toBe(200);
    const renamed = await cp.call('operator', 'PUT', '/api/agents/support-bot', { name: 'Support desk' });
    expect(renamed).toMatchObject({ status: 200, body: { name: 'Support desk' } });
    expect(
      (await db().selectFrom('agents').select('name').where('id', '=', 'support-bot').executeTakeFirstOrThrow()).name,
    ).toBe('Support desk');
    const audit = await auditOf('support-bot');
    expect(audit.map((e) => e.action)).toEqual(['agent.renamed', 'agent.registered']);
    expect(audit[0]).toMatchObject({ actor: 'operator-person', payload: { from: 'Support', to: 'Support desk' } });
  });

  it('registers a version under its content hash (201, then 200 with the same id) and lists it on the agent', async () => {
    await cp.call('operator', 'PUT', '/api/agents/hash-bot', {});
    const first = await cp.call('operator', 'POST', '/api/agents/hash-bot/versions', { config: config('be brief') });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      id: agentVersionId('hash-bot', config('be brief')),
      agentId: 'hash-bot',
      created: true,
      live: false,
    });
    const { instructions, ...rest } = config('be brief');
    const again = await cp.call('operator', 'POST', '/api/agents/hash-bot/versions', {
      config: { ...rest, instructions },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, created: false, live: false });
    const live = await cp.call('operator', 'POST', '/api/agents/hash-bot/versions', {
      config: config('be thorough'),
      live: true,
      reason: 'first live',
    });
    expect(live).toMatchObject({ status: 201, body: { created: true, live: true } });
    expect(live.body.id).not.toBe(first.body.id);
    expect(
      (await db().selectFrom('agents').select('live_version_id').where('id', '=', 'hash-bot').executeTakeFirstOrThrow())
        .live_version_id,
    ).toBe(live.body.id);
    const agent = await cp.call('viewer', 'GET', '/api/agents/hash-bot');
    expect(agent.status).toBe(200);
    expect(agent.body.liveVersionId).toBe(live.body.id);
    expect(agent.body.versions.map((v: { id: string }) => v.id).sort()).toEqual([first.body.id, live.body.id].sort());
  });

  it('sets the live version and publishes a manual promotion naming the token holder; refuses a version of another agent', async () => {
    const [v1, v2] = await agentWithVersions('live-bot', 'one', 'two');
    const [other] = await agentWithVersions('other-bot', 'one');
    const foreign = await cp.call('operator', 'POST', '/api/agents/live-bot/live', { versionId: other });
    expect(foreign).toMatchObject({ status: 404, body: { field: 'versionId' } });
    expect((await cp.call('operator', 'POST', '/api/agents/live-bot/live', { versionId: v1 })).status).toBe(200);
    const set = await cp.call('admin', 'POST', '/api/agents/live-bot/live', { versionId: v2, reason: 'try two' });
    expect(set).toMatchObject({ status: 200, body: { id: 'live-bot', liveVersionId: v2 } });
    expect(
      (await db().selectFrom('agents').select('live_version_id').where('id', '=', 'live-bot').executeTakeFirstOrThrow())
        .live_version_id,
    ).toBe(v2);
    const event = await promoted.find((e) => e.agentId === 'live-bot' && e.promotedVersionId === v2, 30_000);
    expect(event).toMatchObject({
      mode: 'manual',
      approver: 'admin-person',
      previousVersionId: v1,
      reason: 'try two',
      experimentId: null,
      approvalId: null,
    });
    const first = await promoted.find((e) => e.agentId === 'live-bot' && e.promotedVersionId === v1, 30_000);
    expect(first).toMatchObject({ approver: 'operator-person', previousVersionId: null });
    expect(promoted.seen.filter((s) => s.event.agentId === 'live-bot' && s.event.promotedVersionId === other)).toEqual(
      [],
    );
  }, 60_000);
});

describe('learning policy', () => {
  it('writes versions 1, 2, ... keeping the previous ones, and reads any of them back', async () => {
    await cp.call('operator', 'PUT', '/api/agents/policy-bot', {});
    const v1 = await cp.call('operator', 'POST', '/api/agents/policy-bot/learning/policy', {
      policy: { trigger: { minRuns: 80 } },
    });
    expect(v1).toMatchObject({ status: 201, body: { version: 1, createdBy: 'operator-person', paused: false } });
    const v2 = await cp.call('admin', 'POST', '/api/agents/policy-bot/learning/policy', {
      policy: { trigger: { minRuns: 120 } },
      reason: 'quieter',
    });
    expect(v2).toMatchObject({ status: 201, body: { version: 2, createdBy: 'admin-person' } });
    const current = await cp.call('viewer', 'GET', '/api/agents/policy-bot/learning/policy');
    expect(current.body).toMatchObject({
      version: 2,
      overrides: { trigger: { minRuns: 120 } },
      policy: { trigger: { minRuns: 120, failureRateAbove: 0.2 } },
    });
    const old = await cp.call('viewer', 'GET', '/api/agents/policy-bot/learning/policy?version=1');
    expect(old.body).toMatchObject({
      version: 1,
      overrides: { trigger: { minRuns: 80 } },
      createdBy: 'operator-person',
    });
    const rows = await db()
      .selectFrom('policies')
      .select(['version', 'policy', 'created_by'])
      .where('agent_id', '=', 'policy-bot')
      .orderBy('version')
      .execute();
    expect(rows).toEqual([
      { version: 1, policy: { trigger: { minRuns: 80 } }, created_by: 'operator-person' },
      { version: 2, policy: { trigger: { minRuns: 120 } }, created_by: 'admin-person' },
    ]);
  });

  it('expectedVersion is a compare-and-set: a stale version gets 409, the current one writes the next', async () => {
    await cp.call('operator', 'PUT', '/api/agents/cas-bot', {});
    expect(
      (await cp.call('operator', 'POST', '/api/agents/cas-bot/learning/policy', { policy: {}, expectedVersion: 0 }))
        .status,
    ).toBe(201);
    expect(
      (
        await cp.call('operator', 'POST', '/api/agents/cas-bot/learning/policy', {
          policy: { trigger: { minRuns: 60 } },
        })
      ).status,
    ).toBe(201);
    const stale = await cp.call('operator', 'POST', '/api/agents/cas-bot/learning/policy', {
      policy: { trigger: { minRuns: 70 } },
      expectedVersion: 1,
    });
    expect(stale).toMatchObject({ status: 409, body: { field: 'expectedVersion' } });
    const fresh = await cp.call('operator', 'POST', '/api/agents/cas-bot/learning/policy', {
      policy: { trigger: { minRuns: 70 } },
      expectedVersion: 2,
    });
    expect(fresh).toMatchObject({ status: 201, body: { version: 3 } });
    expect(
      await db()
        .selectFrom('policies')
        .select('version')
        .where('agent_id', '=', 'cas-bot')
        .orderBy('version')
        .execute(),
    ).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
  });

  it('refuses paused in a policy (400 policy.paused), and a policy edit keeps an existing pause', async () => {
    await cp.call('operator', 'PUT', '/api/agents/keep-paused', {});
    const refused = await cp.call('operator', 'POST', '/api/agents/keep-paused/learning/policy', {
      policy: { paused: false },
    });
    expect(refused).toMatchObject({ status: 400, body: { field: 'policy.paused' } });
    expect(
      (await cp.call('operator', 'POST', '/api/agents/keep-paused/learning/pause', { reason: 'noisy week' })).status,
    ).toBe(200);
    const edited = await cp.call('operator', 'POST', '/api/agents/keep-paused/learning/policy', {
      policy: { trigger: { minRuns: 90 } },
    });
    expect(edited).toMatchObject({
      status: 201,
      body: { version: 2, paused: true, overrides: { paused: true, trigger: { minRuns: 90 } } },
    });
    expect((await cp.call('viewer', 'GET', '/api/agents/keep-paused/learning/status')).body.continuousMode).toBe(
      'paused',
    );
  });
});

describe('pause, resume and status', () => {
  it('pause writes a policy version with paused set; a second pause changes nothing; resume lifts it', async () => {
    await cp.call('operator', 'PUT', '/api/agents/pause-bot', {});
    const paused = await cp.call('operator', 'POST', '/api/agents/pause-bot/learning/pause', { reason: 'incident 42' });
    expect(paused).toMatchObject({
      status: 200,
      body: { paused: true, changed: true, policyVersion: 1, experiment: null },
    });
    const again = await cp.call('operator', 'POST', '/api/agents/pause-bot/learning/pause', { reason: 'still' });
    expect(again).toMatchObject({ status: 200, body: { paused: true, changed: false, policyVersion: 1 } });
    expect(
      await db().selectFrom('policies').select(['version', 'policy']).where('agent_id', '=', 'pause-bot').execute(),
    ).toEqual([{ version: 1, policy: { paused: true } }]);
    const resumed = await cp.call('operator', 'POST', '/api/agents/pause-bot/learning/resume', {});
    expect(resumed).toMatchObject({ status: 200, body: { paused: false, changed: true, policyVersion: 2 } });
    expect((await cp.call('viewer', 'GET', '/api/agents/pause-bot/learning/policy')).body).toMatchObject({
      version: 2,
      paused: false,
    });
    expect((await auditOf('pause-bot')).map((e) => e.action)).toEqual([
      'learning.resumed',
      'policy.updated',
      'learning.paused',
      'policy.updated',
      'agent.registered',
    ]);
  });

  it('status: continuous mode on, the next scheduled run and the thresholds of the policy', async () => {
    await cp.call('operator', 'PUT', '/api/agents/status-bot', {});
    await cp.call('operator', 'POST', '/api/agents/status-bot/learning/policy', {
      policy: { trigger: { minRuns: 75, failureRateAbove: 0.3 }, schedule: { cron: '0 4 * * *' } },
    });
    const before = Date.now();
    const status = await cp.call('viewer', 'GET', '/api/agents/status-bot/learning/status');
    expect(status.body).toMatchObject({
      continuousMode: 'on',
      paused: null,
      policyVersion: 1,
      openSession: null,
      runningExperiment: null,
    });
    expect(status.body.thresholds).toMatchObject({ minRuns: 75, failureRateAbove: 0.3, meanScoreBelow: 0.6 });
    const next = new Date(status.body.nextScheduledRunAt);
    expect([next.getUTCHours(), next.getUTCMinutes(), next.getUTCSeconds()]).toEqual([4, 0, 0]);
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getTime()).toBeLessThanOrEqual(before + 24 * 3_600_000);
  });

  it('status of a paused agent: who paused it and why, no next run, its open session and its paused experiment', async () => {
    const e = await seedExperiment(db(), { riskTier: 'low', policy: testPolicy(), startedAt: new Date() });
    const paused = await cp.call('operator', 'POST', `/api/agents/${e.agentId}/learning/pause`, {
      reason: 'bad rollout',
    });
    expect(paused.body).toMatchObject({
      changed: true,
      experiment: { id: e.experimentId, status: 'paused', version: 2 },
    });
    expect(
      (await db().selectFrom('experiments').select('status').where('id', '=', e.experimentId).executeTakeFirstOrThrow())
        .status,
    ).toBe('paused');
    const status = await cp.call('viewer', 'GET', `/api/agents/${e.agentId}/learning/status`);
    expect(status.body).toMatchObject({
      continuousMode: 'paused',
      paused: { by: 'operator-person', reason: 'bad rollout' },
      nextScheduledRunAt: null,
      liveVersionId: e.baselineVersionId,
      openSession: { id: e.sessionId, status: 'experimenting', trigger: 'threshold' },
      runningExperiment: { id: e.experimentId, status: 'paused' },
    });
    const resumed = await cp.call('operator', 'POST', `/api/agents/${e.agentId}/learning/resume`, {});
    expect(resumed.body).toMatchObject({ changed: true, experiment: { id: e.experimentId, status: 'running' } });
  });

  it('lists experiments with their split, mode, arm counts and proposal risk; ?status=active leaves ended ones out', async () => {
    const split = { candidateBasisPoints: 0, baselineBasisPoints: 10_000, shadowSampleBasisPoints: 1000 };
    const e = await seedExperiment(db(), {
      riskTier: 'medium',
      policy: testPolicy(),
      startedAt: new Date(),
      mode: 'shadow',
      split,
    });
    await updateExperiment(db(), e.experimentId, 1, { baseline_run_count: 12, shadow_run_count: 5 });
    const listed = await cp.call('viewer', 'GET', `/api/agents/${e.agentId}/learning/experiments`);
    expect(listed.body).toHaveLength(1);
    expect(listed.body[0]).toMatchObject({
      id: e.experimentId,
      status: 'running',
      mode: 'shadow',
      trafficSplit: split,
      armCounts: { baseline: 12, candidate: 0, shadow: 5 },
      proposal: { riskTier: 'medium', summary: 'cite sources in answers', candidateVersionId: e.candidateVersionId },
    });
    expect(
      (await cp.call('viewer', 'GET', `/api/agents/${e.agentId}/learning/experiments?status=active`)).body,
    ).toHaveLength(1);
    await updateExperiment(db(), e.experimentId, 2, { status: 'closed' });
    expect(
      (await cp.call('viewer', 'GET', `/api/agents/${e.agentId}/learning/experiments?status=active`)).body,
    ).toEqual([]);
    expect((await cp.call('viewer', 'GET', `/api/agents/${e.agentId}/learning/experiments`)).body).toMatchObject([
      { id: e.experimentId, status: 'closed' },
    ]);
  });
});

describe('approvals', () => {
  const ids = (answer: { body: Array<{ id: string }> }) => answer.body.map((a) => a.id);

  it('an approval is decided once, by the token holder, and published with source api; a second decision returns the first', async () => {
    const a = await seedPendingApproval(db());
    const pending = await cp.call('viewer', 'GET', `/api/approvals?status=pending&agentId=${a.agentId}`);
    expect(pending.body).toMatchObject([
      { id: a.approvalId, status: 'pending', riskTier: 'high', experimentId: a.experimentId },
    ]);
    const first = await cp.call('approver', 'POST', `/api/approvals/${a.approvalId}/decision`, {
      decision: 'approved',
      reason: 'looks good',
    });
    expect(first).toMatchObject({
      status: 200,
      body: { applied: true, approval: { status: 'approved', approver: 'approver-person', reason: 'looks good' } },
    });
    const row = await db().selectFrom('approvals').selectAll().where('id', '=', a.approvalId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ decision: 'approved', approver: 'approver-person', reason: 'looks good' });
    expect(row.decided_at).not.toBeNull();
    const event = await decided.find((e) => e.approvalId === a.approvalId, 30_000);
    expect(event).toMatchObject({
      decision: 'approved',
      approver: 'approver-person',
      source: 'api',
      experimentId: a.experimentId,
      candidateVersionId: a.candidateVersionId,
    });

    const second = await cp.call('admin', 'POST', `/api/approvals/${a.approvalId}/decision`, {
      decision: 'rejected',
      reason: 'changed my mind',
    });
    expect(second).toMatchObject({
      status: 200,
      body: { applied: false, approval: { status: 'approved', approver: 'approver-person', reason: 'looks good' } },
    });
    expect(
      await db().selectFrom('approvals').selectAll().where('id', '=', a.approvalId).executeTakeFirstOrThrow(),
    ).toEqual(row);
    expect(ids(await cp.call('viewer', 'GET', `/api/approvals?agentId=${a.agentId}`))).toEqual([]);
    expect(ids(await cp.call('viewer', 'GET', `/api/approvals?status=decided&agentId=${a.agentId}`))).toEqual([
      a.approvalId,
    ]);
    const audit = await cp.call('viewer', 'GET', `/api/audit?subjectType=approval&subjectId=${a.approvalId}`);
    expect(audit.body.entries).toMatchObject([
      { action: 'approval.decided', actor: 'approver-person', payload: { decision: 'approved' } },
    ]);
  }, 60_000);

  it('lists pending, decided and all approvals', async () => {
    const open = await seedPendingApproval(db());
    const done = await seedPendingApproval(db());
    expect(
      (await cp.call('approver', 'POST', `/api/approvals/${done.approvalId}/decision`, { decision: 'rejected' }))
        .status,
    ).toBe(200);
    const pendingIds = ids(await cp.call('viewer', 'GET', '/api/approvals?status=pending'));
    expect(pendingIds).toContain(open.approvalId);
    expect(pendingIds).not.toContain(done.approvalId);
    const decidedIds = ids(await cp.call('viewer', 'GET', '/api/approvals?status=decided'));
    expect(decidedIds).toContain(done.approvalId);
    expect(decidedIds).not.toContain(open.approvalId);
    expect(ids(await cp.call('viewer', 'GET', '/api/approvals?status=all'))).toEqual(
      expect.arrayContaining([open.approvalId, done.approvalId]),
    );
  });

  it('a decision sent by the CLI is published with source cli', async () => {
    const a = await seedPendingApproval(db());
    const response = await fetch(`${cp.url}/api/approvals/${a.approvalId}/decision`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${cp.tokens.approver}`,
        'content-type': 'application/json',
        'x-learnloop-client': 'cli',
      },
      body: JSON.stringify({ decision: 'rejected' }),
    });
    expect(response.status).toBe(200);
    expect(await decided.find((e) => e.approvalId === a.approvalId, 30_000)).toMatchObject({
      decision: 'rejected',
      source: 'cli',
      approver: 'approver-person',
    });
  }, 60_000);

  it('four eyes: whoever started a session by hand may not decide its approval (403); another approver may', async () => {
    const a = await seedPendingApproval(db(), { startedBy: 'approver-person' });
    const own = await cp.call('approver', 'POST', `/api/approvals/${a.approvalId}/decision`, { decision: 'approved' });
    expect(own).toMatchObject({ status: 403, body: { field: 'approvalId' } });
    expect(
      (await db().selectFrom('approvals').select('decision').where('id', '=', a.approvalId).executeTakeFirstOrThrow())
        .decision,
    ).toBeNull();
    const second = await createToken(db(), { name: 'second-approver', role: 'approver', created_by: 'test' });
    const other = await cp.call(
      { authorization: `Bearer ${second.token}` },
      'POST',
      `/api/approvals/${a.approvalId}/decision`,
      { decision: 'approved' },
    );
    expect(other).toMatchObject({
      status: 200,
      body: {
        applied: true,
        approval: { status: 'approved', approver: 'second-approver', sessionStartedBy: 'approver-person' },
      },
    });
  });
});

describe('audit and tokens', () => {
  it('audits every write with the token holder as actor and the token in the payload, paged with beforeId', async () => {
    const [, v2] = await agentWithVersions('audited-bot', 'one', 'two');
    await cp.call('operator', 'POST', '/api/agents/audited-bot/live', { versionId: v2 });
    await cp.call('operator', 'POST', '/api/agents/audited-bot/learning/policy', {
      policy: { trigger: { minRuns: 99 } },
    });
    await cp.call('operator', 'POST', '/api/agents/audited-bot/learning/pause', { reason: 'audit me' });
    await cp.call('operator', 'POST', '/api/agents/audited-bot/learning/resume', {});
    const pages: Array<Array<Record<string, any>>> = [];
    let path = '/api/audit?agentId=audited-bot&limit=3';
    for (;;) {
      const page = await cp.call('viewer', 'GET', path);
      expect(page.status).toBe(200);
      pages.push(page.body.entries);
      if (page.body.nextBeforeId === null) break;
      expect(page.body.nextBeforeId).toBe(page.body.entries.at(-1).id);
      path = `/api/audit?agentId=audited-bot&limit=3&beforeId=${page.body.nextBeforeId}`;
    }
    const entries = pages.flat();
    expect(pages.map((p) => p.length)).toEqual([3, 3, 3]);
    expect(entries.map((e) => e.id)).toEqual([...entries.map((e) => e.id)].sort((x, y) => y - x));
    expect(new Set(entries.map((e) => e.id)).size).toBe(9);
    expect(entries.map((e) => e.action).reverse()).toEqual([
      'agent.registered',
      'agent.version_registered',
      'agent.version_registered',
      'agent.live_version_set',
      'policy.updated',
      'policy.updated',
      'learning.paused',
      'policy.updated',
      'learning.resumed',
    ]);
    // Filtered by actor and by action (exactly, or under a prefix ending in a dot) on the server, over the whole log.
    const actions = async (query: string) =>
      ((await cp.call('viewer', 'GET', `/api/audit?agentId=audited-bot&${query}`)).body.entries as any[]).map(
        (e) => e.action,
      );
    expect(await actions('action=learning.paused')).toEqual(['learning.paused']);
    expect(await actions('action=learning.')).toEqual(['learning.resumed', 'learning.paused']);
    expect(await actions('actor=operator-person&action=policy.updated')).toHaveLength(3);
    expect(await actions('actor=nobody')).toEqual([]);
    const operatorTokenId = await tokenIdOf('operator-person');
    for (const e of entries)
      expect(e).toMatchObject({
        actor: 'operator-person',
        agentId: 'audited-bot',
        payload: { by: { tokenId: operatorTokenId, role: 'operator', source: 'api' } },
      });

    // Every entry in the log so far (this file's other writes too) names its token holder and that holder's token.
    const tokens = new Map(
      (await db().selectFrom('api_tokens').select(['id', 'name', 'role']).execute()).map((t) => [t.name, t]),
    );
    const all = (await cp.call('viewer', 'GET', '/api/audit?limit=1000')).body.entries as Array<Record<string, any>>;
    expect(all.length).toBeGreaterThanOrEqual(entries.length);
    for (const e of all)
      expect(e.payload.by, `${e.action} by ${e.actor}`).toMatchObject({
        tokenId: tokens.get(e.actor)?.id,
        role: tokens.get(e.actor)?.role,
      });
  });

  it('creates a token whose secret is shown once and stored only as its hash; a revoked token gets 401', async () => {
    const created = await cp.call('admin', 'POST', '/api/tokens', { name: 'ci-bot', role: 'viewer' });
    expect(created).toMatchObject({
      status: 201,
      body: { name: 'ci-bot', role: 'viewer', createdBy: 'admin-person', revokedAt: null },
    });
    const secret: string = created.body.token;
    const row = await db()
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(secret);
    const listed = await cp.call('admin', 'GET', '/api/tokens');
    expect(listed.body.find((t: { id: string }) => t.id === created.body.id)).toEqual({
      ...created.body,
      token: undefined,
    });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(listed.body.every((t: object) => !('token' in t) && !('tokenHash' in t))).toBe(true);

    const as = { authorization: `Bearer ${secret}` };
    expect((await cp.call(as, 'GET', '/api/approvals')).status).toBe(200);
    const revoked = await cp.call('admin', 'DELETE', `/api/tokens/${created.body.id}`);
    expect(revoked).toMatchObject({ status: 200, body: { id: created.body.id } });
    expect(revoked.body.revokedAt).not.toBeNull();
    const refused = await cp.call(as, 'GET', '/api/approvals');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    // Revoking it again answers the same and records nothing more.
    expect(await cp.call('admin', 'DELETE', `/api/tokens/${created.body.id}`)).toMatchObject({
      status: 200,
      body: { revokedAt: revoked.body.revokedAt },
    });
    const audit = await cp.call('viewer', 'GET', `/api/audit?subjectType=token&subjectId=${created.body.id}`);
    expect(audit.body.entries).toMatchObject([
      { action: 'token.revoked', actor: 'admin-person', agentId: null },
      {
        action: 'token.created',
        actor: 'admin-person',
        payload: { name: 'ci-bot', role: 'viewer', by: { tokenId: await tokenIdOf('admin-person') } },
      },
    ]);
  });
});
