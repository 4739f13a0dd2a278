import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { sql, type Kysely } from 'kysely';
import type {
  ExperimentPolicy,
  RampStep,
  RunAssigned,
  RunCompleted,
  RunEvaluated,
  TopicName,
  TopicValue,
  TrafficSplit,
} from '../../lib/contracts/types.generated.ts';
import { registerAgent, registerAgentVersion, setLiveVersion } from '../../lib/db/repositories/agents.ts';
import { insertExperiment } from '../../lib/db/repositories/experiments.ts';
import { insertProposal } from '../../lib/db/repositories/proposals.ts';
import { openSession, setSessionStatus } from '../../lib/db/repositories/sessions.ts';
import type { Database } from '../../lib/db/schema.ts';
import type { Serde } from '../../lib/kafka/serde.ts';
import { seededRandom } from './judge-simulation.ts';
import { readAll } from './kafka-topics.ts';

/**
 * The judge's integration tests stand in for the proposer (an experiment inserted through the repositories) and for
 * the router and the agents (tagged runs: the router's assignment, the run's completion, its evaluation).
 */

export const minute = 60_000;
export const hour = 60 * minute;

/** A policy that decides within a few hundred runs of test traffic. */
export function testPolicy(overrides: Partial<ExperimentPolicy> = {}): ExperimentPolicy {
  return {
    policyVersion: 1,
    primaryMetric: 'score',
    alpha: 0.05,
    tuningSampleSize: 1000,
    minimumEffect: 0,
    minRunsPerArm: 100,
    minDurationMs: 30 * minute,
    maxDurationMs: 12 * hour,
    sustainedMs: 10 * minute,
    srmPValue: 0.001,
    guardrails: [
      { metric: 'failure_rate', margin: 0.1 },
      { metric: 'guardrail_hit_rate', margin: 0.1 },
      { metric: 'cost_per_run', margin: 0.01 },
      { metric: 'latency_p95_ms', margin: 2000 },
    ],
    forbidCostIncrease: true,
    autoPromote: true,
    ...overrides,
  };
}

export interface SeededExperiment {
  agentId: string;
  experimentId: string;
  proposalId: string;
  sessionId: string;
  baselineVersionId: string;
  candidateVersionId: string;
  startedAt: Date;
}

/** An agent with a live baseline, a session, a proposal of `riskTier` and a running experiment, as the proposer leaves them. */
export async function seedExperiment(
  db: Kysely<Database>,
  options: {
    riskTier: 'low' | 'medium' | 'high';
    /** null: the row carries no policy, as from a proposer that does not store it (the judge derives it). */
    policy: ExperimentPolicy | null;
    startedAt: Date;
    mode?: 'ab' | 'shadow';
    split?: TrafficSplit;
    rampSchedule?: RampStep[];
  },
): Promise<SeededExperiment> {
  const agentId = `agent-${randomUUID().slice(0, 8)}`;
  await registerAgent(db, { id: agentId, name: agentId });
  const baseline = await registerAgentVersion(db, {
    agent_id: agentId,
    config: { model: 'm1', instructions: 'be helpful' },
  });
  const candidate = await registerAgentVersion(db, {
    agent_id: agentId,
    config: { model: 'm1', instructions: 'be helpful and cite sources' },
  });
  await setLiveVersion(db, agentId, baseline.version.id);
  const session = await openSession(db, { agent_id: agentId, trigger: 'threshold', signals: { score: 0.6 } });
  if (!session.ok) throw new Error('could not open a session');
  await setSessionStatus(db, session.session.id, 'experimenting');
  const lowRisk = options.riskTier === 'low';
  const proposal = await insertProposal(db, {
    session_id: session.session.id,
    agent_id: agentId,
    baseline_version_id: baseline.version.id,
    candidate_version_id: candidate.version.id,
    change: { summary: 'cite sources in answers' },
    risk_tier: options.riskTier,
    auto_eligible: lowRisk && (options.policy?.autoPromote ?? false),
    risk_reasons: lowRisk
      ? [{ code: 'instructions_edited', detail: null }]
      : [{ code: 'model_changed', detail: 'm1 -> m2' }],
    generator: 'test',
  });
  const split = options.split ?? { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 };
  const inserted = await insertExperiment(db, {
    agent_id: agentId,
    proposal_id: proposal.id,
    mode: options.mode ?? 'ab',
    traffic_split: split,
    salt: randomUUID(),
    candidate_share: (options.mode === 'shadow' ? split.shadowSampleBasisPoints : split.candidateBasisPoints) / 10_000,
    started_at: options.startedAt,
    policy: options.policy,
    ...(options.policy === null
      ? {}
      : {
          ramp_schedule: options.rampSchedule ?? [
            { candidateBasisPoints: split.candidateBasisPoints, minDurationMs: 0, minRunsPerArm: 1 },
          ],
        }),
  });
  if (!inserted.ok) throw new Error('could not insert the experiment');
  return {
    agentId,
    experimentId: inserted.experiment.id,
    proposalId: proposal.id,
    sessionId: session.session.id,
    baselineVersionId: baseline.version.id,
    candidateVersionId: candidate.version.id,
    startedAt: options.startedAt,
  };
}

export interface ArmTraffic {
  scoreMean: number;
  failureRate: number;
}

export interface TaggedRuns {
  assigned: RunAssigned[];
  completed: RunCompleted[];
  evaluated: RunEvaluated[];
}

/**
 * `count` A/B runs as the router and the agents would report them: each unit assigned to an arm (50/50, seeded), then
 * its completion 2 s later and its evaluation 2 s after that, `intervalMs` apart from the experiment's start.
 */
export function abRuns(
  e: SeededExperiment,
  count: number,
  arms: { baseline: ArmTraffic; candidate: ArmTraffic },
  options: { seed: number; intervalMs: number; from?: number },
): TaggedRuns {
  const rng = seededRandom(options.seed);
  const out: TaggedRuns = { assigned: [], completed: [], evaluated: [] };
  for (let i = options.from ?? 0; i < (options.from ?? 0) + count; i++) {
    const arm = rng.uniform() < 0.5 ? ('baseline' as const) : ('candidate' as const);
    const traffic = arms[arm];
    const versionId = arm === 'baseline' ? e.baselineVersionId : e.candidateVersionId;
    const runId = `${e.experimentId}-run-${i}`;
    const assignedAt = new Date(e.startedAt.getTime() + (i + 1) * options.intervalMs);
    const completedAt = new Date(assignedAt.getTime() + 2000);
    out.assigned.push({
      eventId: randomUUID(),
      runId,
      agentId: e.agentId,
      unitId: `user-${i}`,
      bucket: Math.floor(rng.uniform() * 10_000),
      experimentId: e.experimentId,
      experimentVersion: 1,
      mode: 'ab',
      arm,
      versionId,
      assignedAt,
    });
    out.completed.push({
      eventId: randomUUID(),
      runId,
      agentId: e.agentId,
      agentVersionId: versionId,
      experimentId: e.experimentId,
      arm,
      status: rng.uniform() < traffic.failureRate ? 'failed' : 'succeeded',
      startedAt: assignedAt,
      completedAt,
      latencyMs: Math.round(1000 + rng.normal(0, 100)),
      costUsd: 0.004,
      inputTokens: 500,
      outputTokens: 200,
      toolCalls: 1,
      toolErrors: 0,
      guardrailHits: [],
      userFeedback: null,
      unitId: `user-${i}`,
    });
    out.evaluated.push({
      eventId: randomUUID(),
      runId,
      agentId: e.agentId,
      agentVersionId: versionId,
      experimentId: e.experimentId,
      arm,
      evaluatorId: 'llm-judge-v3',
      score: Math.min(1, Math.max(0, rng.normal(traffic.scoreMean, 0.15))),
      passed: true,
      failureCategories: [],
      evaluatedAt: new Date(completedAt.getTime() + 2000),
    });
  }
  return out;
}

/**
 * `count` shadow pairs: each input served by the baseline and also run on the candidate (same runId, arm `shadow`);
 * the router records both, each run reports its completion and evaluation. The candidate's score is the baseline's on
 * the same input plus `lift` and some noise.
 */
export function shadowRuns(
  e: SeededExperiment,
  count: number,
  lift: number,
  options: { seed: number; intervalMs: number },
): TaggedRuns {
  const rng = seededRandom(options.seed);
  const out: TaggedRuns = { assigned: [], completed: [], evaluated: [] };
  for (let i = 0; i < count; i++) {
    const runId = `${e.experimentId}-input-${i}`;
    const assignedAt = new Date(e.startedAt.getTime() + (i + 1) * options.intervalMs);
    const baseScore = Math.min(1, Math.max(0, rng.normal(0.6, 0.2)));
    for (const arm of ['baseline', 'shadow'] as const) {
      const versionId = arm === 'baseline' ? e.baselineVersionId : e.candidateVersionId;
      const completedAt = new Date(assignedAt.getTime() + 2000);
      out.assigned.push({
        eventId: randomUUID(),
        runId,
        agentId: e.agentId,
        unitId: null,
        bucket: 0,
        experimentId: e.experimentId,
        experimentVersion: 1,
        mode: 'shadow',
        arm,
        versionId,
        assignedAt,
      });
      out.completed.push({
        eventId: randomUUID(),
        runId,
        agentId: e.agentId,
        agentVersionId: versionId,
        experimentId: e.experimentId,
        arm,
        status: 'succeeded',
        startedAt: assignedAt,
        completedAt,
        latencyMs: Math.round(1000 + rng.normal(0, 100)),
        costUsd: 0.004,
        inputTokens: 500,
        outputTokens: 200,
        toolCalls: 1,
        toolErrors: 0,
        guardrailHits: [],
        userFeedback: null,
        unitId: null,
      });
      const score = arm === 'baseline' ? baseScore : Math.min(1, Math.max(0, baseScore + lift + rng.normal(0, 0.05)));
      out.evaluated.push({
        eventId: randomUUID(),
        runId,
        agentId: e.agentId,
        agentVersionId: versionId,
        experimentId: e.experimentId,
        arm,
        evaluatorId: 'llm-judge-v3',
        score,
        passed: score >= 0.5,
        failureCategories: [],
        evaluatedAt: new Date(completedAt.getTime() + 2000),
      });
    }
  }
  return out;
}

/** Encodes and produces events to a prefixed topic, keyed by agentId, in chunks. */
export async function produce<T extends TopicName>(
  kafka: Kafka,
  serde: Serde,
  prefix: string,
  topic: T,
  values: ReadonlyArray<TopicValue[T]>,
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += 1000) {
      const chunk = values.slice(i, i + 1000);
      const messages = await Promise.all(
        chunk.map(async (value) => ({
          key: (value as { agentId: string }).agentId,
          value: await serde.encode(topic, value),
        })),
      );
      await producer.send({ topic: `${prefix}.${topic}`, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

export async function produceRuns(kafka: Kafka, serde: Serde, prefix: string, runs: TaggedRuns): Promise<void> {
  // The router's records first, as in production (it reports the assignment before the run ends); the judge does
  // not depend on it: an observation that comes first waits for its record.
  await produce(kafka, serde, prefix, 'agent.run.assigned.v1', runs.assigned);
  await produce(kafka, serde, prefix, 'agent.run.completed.v1', runs.completed);
  await produce(kafka, serde, prefix, 'agent.run.evaluated.v1', runs.evaluated);
}

/** Every event on a prefixed output topic, decoded. */
export async function readEvents<T extends TopicName>(
  kafka: Kafka,
  serde: Serde,
  prefix: string,
  topic: T,
): Promise<Array<TopicValue[T]>> {
  const records = await readAll(kafka, `${prefix}.${topic}`);
  records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  return Promise.all(records.map(async (r) => (await serde.decode(r.value)).value as TopicValue[T]));
}

/** Polls until `check` returns a value (not undefined), or throws after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function experimentStatus(db: Kysely<Database>, experimentId: string): Promise<string | undefined> {
  const row = await db.selectFrom('experiments').select('status').where('id', '=', experimentId).executeTakeFirst();
  return row?.status;
}

/** Waits until the experiment reaches one of `statuses` and the judge's outbox (under `prefix`) is published. */
export async function judgeSettled(
  db: Kysely<Database>,
  prefix: string,
  experimentId: string,
  statuses: readonly string[],
  timeoutMs = 90_000,
): Promise<string> {
  return eventually(
    `experiment ${experimentId} to reach ${statuses.join('|')}`,
    async () => {
      const status = await experimentStatus(db, experimentId);
      if (!status || !statuses.includes(status)) return undefined;
      const { rows } = await sql<{
        n: string;
      }>`SELECT count(*) AS n FROM outbox WHERE producer = ${`${prefix}.experiment-judge`}`.execute(db);
      return Number(rows[0]?.n) === 0 ? status : undefined;
    },
    timeoutMs,
  );
}
