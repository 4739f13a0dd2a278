import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../../lib/agents/config.ts';
import type { ExperimentState, ProposalCreated, SessionTriggered } from '../../../lib/contracts/types.generated.ts';
import { eventually } from '../../helpers/judge.ts';
import { startTestControlPlane, type TestControlPlane } from '../../helpers/control-plane.ts';
import { produceRuns, runCompleted } from '../../helpers/kafka-topics.ts';
import { startService, type ServiceProcess } from '../../helpers/service-process.ts';
import { watchTopic } from '../../helpers/watch-topic.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated as isolatedStack } from '../../helpers/isolated.ts';
import type { FreshDatabase } from '../../setup/database.ts';

/**
 * A policy set through the control plane's API is what the running aggregator and proposer decide by at their next
 * batch: no restart, no reload. Each test has its own topics, database, services and API.
 */

const { kafka, serde } = testClients('cp-policy-reach');
const cleanup = useCleanups();

interface Loop {
  prefix: string;
  database: FreshDatabase;
  cp: TestControlPlane;
  aggregator: ServiceProcess;
  triggers: Awaited<ReturnType<typeof watchTopic<SessionTriggered>>>;
  env: NodeJS.ProcessEnv;
}

/** Topics, a database, the API, and the aggregator with its scheduler out of the way (thresholds only). */
async function loop(label: string): Promise<Loop> {
  const { prefix, database, env } = await isolatedStack(kafka, label, cleanup, {
    LEARNLOOP_AGGREGATOR_TICK_MS: '3600000',
  });
  const cp = await startTestControlPlane(database.db, database.url, prefix);
  cleanup(() => cp.stop());
  const aggregator = await startService('signal-aggregator', env);
  cleanup(() => aggregator.stop());
  const triggers = await watchTopic<SessionTriggered>(kafka, serde, `${prefix}.learning.session.triggered.v1`);
  cleanup(() => triggers.stop());
  return { prefix, database, cp, aggregator, triggers, env };
}

/** `count` runs of the agent from index `from`, every other one failed: a 50% failure rate. */
async function burst(l: Loop, agentId: string, from: number, count: number): Promise<void> {
  const runs = Array.from({ length: count }, (_, k) =>
    runCompleted(agentId, from + k, { status: (from + k) % 2 === 0 ? 'failed' : 'succeeded' }),
  );
  await produceRuns(kafka, serde, l.prefix, runs);
}

/**
 * Waits until the aggregator has counted `n` runs of the agent. A run is recorded as counted in the transaction that
 * folds it into the window and decides on a trigger, so once it is visible, so is any session that batch opened.
 */
async function counted(l: Loop, agentId: string, n: number): Promise<void> {
  await eventually(
    `${n} runs of ${agentId} counted`,
    async () => {
      const { rows } = await sql<{
        n: string;
      }>`SELECT count(*) AS n FROM aggregator_counted WHERE key LIKE ${`["run","run-${agentId}-%`}`.execute(
        l.database.db,
      );
      return Number(rows[0]!.n) >= n ? true : undefined;
    },
    60_000,
  );
}

const sessionsOf = (l: Loop, agentId: string) =>
  l.database.db
    .selectFrom('sessions')
    .select(['id', 'status', 'trigger', 'close_reason'])
    .where('agent_id', '=', agentId)
    .orderBy('created_at')
    .execute();

/** A counter of the aggregator process, from its /metrics. */
async function aggregatorMetric(l: Loop, line: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${l.aggregator.port}/metrics`)).text();
  const found = text.split('\n').find((x) => x.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

async function setPolicy(cp: TestControlPlane, agentId: string, policy: Record<string, unknown>): Promise<number> {
  const set = await cp.call('operator', 'POST', `/api/agents/${agentId}/learning/policy`, { policy, reason: 'test' });
  expect(set.status, JSON.stringify(set.body)).toBe(201);
  return set.body.version as number;
}

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

describe('a policy change reaches the aggregator and the proposer without a restart', () => {
  it('aggregator: a burst under a lax threshold opens nothing; the same traffic after a stricter policy opens a session', async () => {
    const l = await loop('cp-reach-agg');
    const agentId = 'agent-a';
    expect((await l.cp.call('operator', 'PUT', `/api/agents/${agentId}`, { name: 'A' })).status).toBe(201);
    expect(await setPolicy(l.cp, agentId, { trigger: { failureRateAbove: 0.9 } })).toBe(1);

    await burst(l, agentId, 0, 100);
    await counted(l, agentId, 100);
    expect(await sessionsOf(l, agentId)).toEqual([]);
    expect(l.triggers.seen).toEqual([]);

    expect(await setPolicy(l.cp, agentId, { trigger: { failureRateAbove: 0.2 } })).toBe(2);
    await burst(l, agentId, 100, 100);
    const triggered = await l.triggers.find((t) => t.agentId === agentId, 60_000);
    expect(triggered).toMatchObject({ agentId, trigger: 'threshold' });
    expect(triggered.thresholdsCrossed).toHaveLength(1);
    expect(triggered.thresholdsCrossed[0]).toMatchObject({
      metric: 'failure_rate',
      direction: 'above',
      threshold: 0.2,
    });
    expect(triggered.thresholdsCrossed[0]!.observed).toBeCloseTo(0.5, 1);
    expect(triggered.window.runCount).toBeGreaterThan(100);
    expect((await sessionsOf(l, agentId)).map((s) => [s.id, s.trigger])).toEqual([[triggered.sessionId, 'threshold']]);
    // The same process all along.
    expect(l.aggregator.child.exitCode).toBeNull();
  }, 240_000);

  it('proposer: the playbook and the minimum risk tier of a new policy version shape the next proposal and its experiment', async () => {
    const l = await loop('cp-reach-prop');
    const proposer = await startService('proposer', l.env);
    cleanup(() => proposer.stop());
    const proposals = await watchTopic<ProposalCreated>(kafka, serde, `${l.prefix}.learning.proposal.created.v1`);
    cleanup(() => proposals.stop());
    const states = await watchTopic<ExperimentState>(kafka, serde, `${l.prefix}.learning.experiment.state.v1`);
    cleanup(() => states.stop());

    const agentId = 'agent-b';
    expect((await l.cp.call('operator', 'PUT', `/api/agents/${agentId}`, { name: 'B' })).status).toBe(201);
    const version = await l.cp.call('operator', 'POST', `/api/agents/${agentId}/versions`, {
      config: baseline,
      live: true,
    });
    expect(version.status).toBe(201);
    // Version 1: a playbook with no rule for a failure-rate signal.
    const scoreRule = {
      when: { metric: 'score' },
      summary: 'answer better',
      appendInstructions: 'Think before answering.',
    };
    expect(await setPolicy(l.cp, agentId, { trigger: { cooldownMs: 0 }, generator: { playbook: [scoreRule] } })).toBe(
      1,
    );

    await burst(l, agentId, 0, 100);
    const first = await l.triggers.find((t) => t.agentId === agentId, 60_000);
    // Every run of the burst is counted: no later batch of it can open another session under version 1.
    await counted(l, agentId, 100);
    const failed = await eventually(
      'the first session to end',
      async () => {
        const row = (await sessionsOf(l, agentId)).find((s) => s.id === first.sessionId);
        return row && row.status !== 'open' && row.status !== 'proposing' ? row : undefined;
      },
      60_000,
    );
    expect(failed).toMatchObject({
      status: 'failed',
      close_reason: "playbook: no playbook rule matches the session's signals",
    });
    expect(proposals.seen).toEqual([]);
    expect((await sessionsOf(l, agentId)).map((s) => s.id)).toEqual([first.sessionId]);

    // Version 2: a rule for the failure rate (a modest, low-risk instructions edit), and every proposal at least high.
    const failureRule = {
      when: { metric: 'failure_rate' },
      summary: 'check tool arguments',
      appendInstructions: 'Check every tool argument.',
    };
    expect(
      await setPolicy(l.cp, agentId, {
        trigger: { cooldownMs: 0 },
        risk: { minimumTier: 'high' },
        generator: { playbook: [scoreRule, failureRule] },
      }),
    ).toBe(2);
    await burst(l, agentId, 100, 100);
    const proposal = await proposals.find((p) => p.agentId === agentId, 60_000);
    const state = await states.find((s) => s.agentId === agentId, 60_000);
    expect((await sessionsOf(l, agentId)).map((s) => [s.id, s.status])).toEqual([
      [first.sessionId, 'failed'],
      [proposal.sessionId, 'experimenting'],
    ]);
    expect(proposal).toMatchObject({
      riskTier: 'high',
      autoEligible: false,
      generator: 'playbook',
      summary: 'check tool arguments',
      experimentId: state.experimentId,
    });
    expect(proposal.riskReasons.map((r) => r.code)).toEqual(['instructions_edited', 'policy_minimum_tier']);
    expect(proposal.baselineVersionId).toBe(version.body.id);
    // High risk is shadowed by default: nothing is served from the candidate.
    expect(state).toMatchObject({
      version: 1,
      status: 'running',
      mode: 'shadow',
      riskTier: 'high',
      autoEligible: false,
    });
    expect(state.trafficSplit).toEqual({
      candidateBasisPoints: 0,
      baselineBasisPoints: 0,
      shadowSampleBasisPoints: 1000,
    });
    expect(state.policy).toMatchObject({ policyVersion: 2, autoPromote: false });
    const experiments = await l.cp.call('viewer', 'GET', `/api/agents/${agentId}/learning/experiments`);
    expect(experiments.body).toHaveLength(1);
    expect(experiments.body[0]).toMatchObject({
      id: state.experimentId,
      status: 'running',
      mode: 'shadow',
      proposal: { riskTier: 'high', autoEligible: false },
    });
    expect(l.aggregator.child.exitCode).toBeNull();
    expect(proposer.child.exitCode).toBeNull();
  }, 240_000);

  it('pause stops triggers: a burst while paused opens nothing; after resume, one opens a session', async () => {
    const l = await loop('cp-reach-pause');
    const agentId = 'agent-c';
    expect((await l.cp.call('operator', 'PUT', `/api/agents/${agentId}`, { name: 'C' })).status).toBe(201);
    const paused = await l.cp.call('operator', 'POST', `/api/agents/${agentId}/learning/pause`, {
      reason: 'investigating the failures',
    });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ agentId, paused: true, changed: true, policyVersion: 1, experiment: null });
    const status = await l.cp.call('viewer', 'GET', `/api/agents/${agentId}/learning/status`);
    expect(status.body).toMatchObject({
      continuousMode: 'paused',
      paused: { by: 'operator-person', reason: 'investigating the failures' },
      nextScheduledRunAt: null,
    });

    const suppressed = 'learnloop_aggregator_triggers_suppressed_total{reason="paused"}';
    expect(await aggregatorMetric(l, suppressed)).toBe(0);
    // 50% failing under the default threshold (20%): this would trigger, were the agent not paused.
    await burst(l, agentId, 0, 100);
    await counted(l, agentId, 100);
    expect(await sessionsOf(l, agentId)).toEqual([]);
    expect(l.triggers.seen).toEqual([]);
    expect(await aggregatorMetric(l, suppressed)).toBeGreaterThan(0);

    const resumed = await l.cp.call('operator', 'POST', `/api/agents/${agentId}/learning/resume`, {});
    expect(resumed.body).toMatchObject({ paused: false, changed: true, policyVersion: 2 });
    expect((await l.cp.call('viewer', 'GET', `/api/agents/${agentId}/learning/status`)).body).toMatchObject({
      continuousMode: 'on',
      paused: null,
    });
    await burst(l, agentId, 100, 100);
    const triggered = await l.triggers.find((t) => t.agentId === agentId, 60_000);
    expect(triggered).toMatchObject({
      trigger: 'threshold',
      thresholdsCrossed: [{ metric: 'failure_rate', threshold: 0.2 }],
    });
    expect((await sessionsOf(l, agentId)).map((s) => s.id)).toEqual([triggered.sessionId]);
    expect(l.aggregator.child.exitCode).toBeNull();
  }, 240_000);
});
