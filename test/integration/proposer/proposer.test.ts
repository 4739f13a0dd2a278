import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../../lib/agents/config.ts';
import type { ExperimentState, ProposalCreated, SessionTriggered } from '../../../lib/contracts/types.generated.ts';
import { putPolicy } from '../../../lib/db/repositories/policies.ts';
import { openSession } from '../../../lib/db/repositories/sessions.ts';
import { runCli } from '../../helpers/cli.ts';
import { startFakeGenerator } from '../../helpers/fake-generator.ts';
import { createCatalogTopics, topicPrefix } from '../../helpers/kafka-topics.ts';
import { startService, type ServiceProcess } from '../../helpers/service-process.ts';
import { watchTopic } from '../../helpers/watch-topic.ts';
import { testClients } from '../../helpers/clients.ts';
import { freshDatabase, type FreshDatabase } from '../../setup/database.ts';

const { shared, kafka, serde } = testClients('proposer-test');
const instructions =
  'You are the support agent of an online shop. Answer in two or three sentences, in the language of the customer. Look orders up with the search tool before answering questions about them, and never promise refunds: hand those to a person.';
const baseline: AgentConfig = {
  instructions,
  model: 'model-a',
  tools: [{ name: 'search' }],
  memory: {},
  guardrails: ['pii'],
  parameters: { temperature: 0.2 },
};

let prefix: string;
let database: FreshDatabase;
let service: ServiceProcess;
let generator: Awaited<ReturnType<typeof startFakeGenerator>>;
let proposals: Awaited<ReturnType<typeof watchTopic<ProposalCreated>>>;
let states: Awaited<ReturnType<typeof watchTopic<ExperimentState>>>;

beforeAll(async () => {
  prefix = topicPrefix('proposer');
  await createCatalogTopics(kafka, prefix);
  database = await freshDatabase();
  generator = await startFakeGenerator({
    '/v1-model-change': {
      kind: 'chat',
      content: JSON.stringify({
        proposals: [{ summary: 'a stronger model', change: { model: 'model-b' }, projectedCostDeltaUsd: 0.002 }],
      }),
    },
    '/v1-not-json': { kind: 'chat', content: 'Sure! Here is my proposal: use a better model.' },
    '/bad-json': { kind: 'raw', text: '{"proposals": [' },
    '/invalid-change': { kind: 'proposals', body: { proposals: [{ summary: 'no model', change: { model: '' } }] } },
    '/oversized': {
      kind: 'proposals',
      body: { proposals: [{ summary: 'x'.repeat(1900), change: { instructions: 'y'.repeat(5000) } }] },
    },
    '/slow': { kind: 'slow', ms: 3000 },
  });
  service = await startService('proposer', {
    ...shared,
    DATABASE_URL: database.url,
    LEARNLOOP_TOPIC_PREFIX: prefix,
    OPENAI_TEST_KEY: 'sk-test',
  });
  proposals = await watchTopic<ProposalCreated>(kafka, serde, `${prefix}.learning.proposal.created.v1`);
  states = await watchTopic<ExperimentState>(kafka, serde, `${prefix}.learning.experiment.state.v1`);
}, 120_000);

afterAll(async () => {
  await proposals?.stop();
  await states?.stop();
  await service?.stop();
  await generator?.close();
  await database?.drop();
});

/** An agent registered through the CLI (as an operator would) with `policy`, and a session triggered for it. */
async function trigger(agentId: string, policy: Record<string, unknown>): Promise<string> {
  const file = join(tmpdir(), `agent-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify({ agentId, config: baseline }));
  const registered = await runCli(['agents', 'register', file], { ...process.env, DATABASE_URL: database.url });
  expect(registered.code, registered.stderr).toBe(0);
  await putPolicy(database.db, { agent_id: agentId, policy, created_by: 'test' });
  const opened = await openSession(database.db, { agent_id: agentId, trigger: 'threshold', signals: {} });
  if (!opened.ok) throw new Error(`session not opened: ${opened.reason}`);
  const event: SessionTriggered = {
    eventId: randomUUID(),
    sessionId: opened.session.id,
    agentId,
    agentVersionId: 'v',
    trigger: 'threshold',
    triggeredAt: new Date(),
    requestedBy: null,
    reason: null,
    window: {
      windowStart: new Date(0),
      windowEnd: new Date(3_600_000),
      runCount: 100,
      evaluatedCount: 100,
      meanScore: 0.5,
      passRate: 0.5,
      failureRate: 0.4,
      guardrailHitRate: 0,
      meanCostUsd: 0.01,
      p50LatencyMs: 1,
      p95LatencyMs: 2,
      toolErrorRate: 0,
      negativeFeedbackRate: null,
    },
    thresholdsCrossed: [{ metric: 'failure_rate', direction: 'above', threshold: 0.2, observed: 0.4 }],
    topFailureCategories: [{ category: 'tool_misuse', count: 30, share: 0.3, exampleRunIds: ['r1'] }],
  };
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: `${prefix}.learning.session.triggered.v1`,
    messages: [{ key: agentId, value: await serde.encode('learning.session.triggered.v1', event) }],
  });
  await producer.disconnect();
  return opened.session.id;
}

async function sessionEnd(id: string): Promise<{ status: string; close_reason: string | null }> {
  for (let i = 0; i < 200; i++) {
    const row = await database.db
      .selectFrom('sessions')
      .select(['status', 'close_reason'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    if (row.status !== 'open' && row.status !== 'proposing') return row;
    await sleep(50);
  }
  throw new Error(`session ${id} still open`);
}

const playbook = [
  {
    when: { failureCategory: 'tool_misuse' },
    summary: 'check tool arguments',
    appendInstructions: 'Check every tool argument.',
  },
];

describe('proposer on the real stack', () => {
  it('a playbook fix of the instructions: a low-risk, auto-eligible proposal and an ab experiment at 5%', async () => {
    const session = await trigger('agent-low', { generator: { playbook }, promotion: { autoPromoteLowRisk: true } });
    const proposal = await proposals.find((p) => p.agentId === 'agent-low', 15_000);
    const state = await states.find((s) => s.agentId === 'agent-low', 15_000);
    expect(proposal).toMatchObject({
      sessionId: session,
      riskTier: 'low',
      autoEligible: true,
      generator: 'playbook',
      summary: 'check tool arguments',
      experimentId: state.experimentId,
    });
    expect(proposal.riskReasons.map((r) => r.code)).toEqual(['instructions_edited']);
    expect(proposal.changes.map((c) => c.kind)).toEqual(['instructions']);
    expect(state).toMatchObject({
      version: 1,
      status: 'running',
      mode: 'ab',
      riskTier: 'low',
      autoEligible: true,
      rampStepIndex: 0,
      proposalId: proposal.proposalId,
    });
    expect(state.trafficSplit).toEqual({
      candidateBasisPoints: 500,
      baselineBasisPoints: 500,
      shadowSampleBasisPoints: 0,
    });
    expect(state.arms).toEqual([
      { arm: 'baseline', versionId: proposal.baselineVersionId },
      { arm: 'candidate', versionId: proposal.candidateVersionId },
    ]);
    expect(state.policy).toMatchObject({ forbidCostIncrease: true, autoPromote: true, policyVersion: 1 });
    expect(await sessionEnd(session)).toMatchObject({ status: 'experimenting' });
    const audit = await database.db
      .selectFrom('audit_log')
      .select('action')
      .where('agent_id', '=', 'agent-low')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['agent.live_version_set', 'proposal.created', 'experiment.started']),
    );
  });

  it('a model change from the OpenAI-compatible generator: high risk, shadow mode, the key sent as a bearer token', async () => {
    await trigger('agent-high', {
      generator: {
        kind: 'openai',
        url: `${generator.url}/v1-model-change`,
        model: 'test-model',
        apiKeyEnv: 'OPENAI_TEST_KEY',
      },
    });
    const proposal = await proposals.find((p) => p.agentId === 'agent-high', 15_000);
    const state = await states.find((s) => s.agentId === 'agent-high', 15_000);
    expect(proposal).toMatchObject({
      riskTier: 'high',
      autoEligible: false,
      generator: 'openai:test-model',
      projectedCostDeltaUsd: 0.002,
    });
    expect(proposal.riskReasons.map((r) => r.code).sort()).toEqual(['cost_increase_projected', 'model_changed']);
    expect(state).toMatchObject({
      mode: 'shadow',
      trafficSplit: { candidateBasisPoints: 0, baselineBasisPoints: 0, shadowSampleBasisPoints: 1000 },
    });
    expect(state.arms.map((a) => a.arm)).toEqual(['baseline', 'shadow']);
    const call = generator.requests.find((r) => r.path === '/v1-model-change/chat/completions')!;
    expect(call.auth).toBe('Bearer sk-test');
    expect(call.body).toMatchObject({ model: 'test-model', response_format: { type: 'json_object' } });
  });

  it("a second trigger while the agent's experiment runs creates nothing", async () => {
    const before = { proposals: proposals.seen.length, states: states.seen.length };
    // The first session closes (say, by an operator) while its experiment goes on.
    await database.db
      .updateTable('sessions')
      .set({ status: 'closed', closed_at: new Date() })
      .where('agent_id', '=', 'agent-low')
      .execute();
    const session = await trigger('agent-low', { generator: { playbook }, promotion: { autoPromoteLowRisk: true } });
    expect(await sessionEnd(session)).toEqual({
      status: 'closed',
      close_reason: 'an experiment is already running for the agent',
    });
    await sleep(500);
    expect({ proposals: proposals.seen.length, states: states.seen.length }).toEqual(before);
  });

  it("a paused agent's session closes without a proposal", async () => {
    const before = proposals.seen.length;
    const session = await trigger('agent-paused', { paused: true, generator: { playbook } });
    expect(await sessionEnd(session)).toEqual({ status: 'closed', close_reason: 'the agent is paused' });
    await sleep(300);
    expect(proposals.seen.length).toBe(before);
  });

  const failures: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'a timeout',
      { kind: 'http', url: `http://127.0.0.1:PORT/slow`, timeoutMs: 300 },
      /^http: generator request failed: no answer within 300 ms$/,
    ],
    [
      'bad JSON',
      { kind: 'http', url: 'http://127.0.0.1:PORT/bad-json' },
      /^http: generator answered with something that is not JSON$/,
    ],
    [
      'an invalid change',
      { kind: 'http', url: 'http://127.0.0.1:PORT/invalid-change' },
      /^http: invalid proposals: proposals\.0\.change\.model: /,
    ],
    [
      'an oversized answer',
      { kind: 'http', url: 'http://127.0.0.1:PORT/oversized', maxResponseBytes: 1000 },
      /^http: answer larger than 1000 bytes$/,
    ],
    [
      'a model that does not answer JSON',
      { kind: 'openai', url: 'http://127.0.0.1:PORT/v1-not-json', model: 'm' },
      /^openai:m: the model's answer is not JSON$/,
    ],
    [
      'a playbook with no matching rule',
      { playbook: [{ when: { failureCategory: 'other' }, summary: 's', appendInstructions: 'x' }] },
      /^playbook: no playbook rule matches/,
    ],
  ];
  for (const [what, settings, reason] of failures) {
    it(`${what} closes the session as failed with the reason, and the service keeps running`, async () => {
      const port = new URL(generator.url).port;
      const withPort = JSON.parse(JSON.stringify(settings).replace('PORT', port)) as Record<string, unknown>;
      const session = await trigger(`agent-fail-${randomUUID().slice(0, 8)}`, { generator: withPort });
      const ended = await sessionEnd(session);
      expect(ended.status).toBe('failed');
      expect(ended.close_reason).toMatch(reason);
      expect(service.child.exitCode).toBeNull();
    });
  }
});
