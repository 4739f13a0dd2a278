import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';
import { waitForTopics } from '../../lib/contracts/topics-apply.ts';
import type {
  ExperimentPolicy,
  ExperimentState,
  RampStep,
  TrafficSplit,
  VersionPromoted,
} from '../../lib/contracts/types.generated.ts';
import { getExperiment } from '../../lib/db/repositories/experiments.ts';
import type { Database } from '../../lib/db/schema.ts';
import type { SeededExperiment } from './judge.ts';

/** Experiment states and promotions for the router's tests, with every field the schema requires. */

const t0 = Date.UTC(2026, 10, 24, 12, 0, 0);

export function experimentState(overrides: Partial<ExperimentState> = {}): ExperimentState {
  return {
    eventId: randomUUID(),
    experimentId: 'exp-1',
    agentId: 'agent-1',
    version: 1,
    changedAt: new Date(t0),
    status: 'running',
    mode: 'ab',
    arms: [
      { arm: 'baseline', versionId: 'v-base' },
      { arm: 'candidate', versionId: 'v-cand' },
    ],
    salt: 'salt-1',
    trafficSplit: { candidateBasisPoints: 500, baselineBasisPoints: 500, shadowSampleBasisPoints: 0 },
    rampSchedule: [{ candidateBasisPoints: 500, minDurationMs: 3_600_000, minRunsPerArm: 100 }],
    rampStepIndex: 0,
    proposalId: 'proposal-1',
    sessionId: null,
    riskTier: 'low',
    autoEligible: true,
    policy: {
      policyVersion: 1,
      primaryMetric: 'score',
      alpha: 0.05,
      tuningSampleSize: 5000,
      minimumEffect: 0,
      minRunsPerArm: 500,
      minDurationMs: 86_400_000,
      maxDurationMs: 604_800_000,
      sustainedMs: 21_600_000,
      srmPValue: 0.001,
      guardrails: [],
      forbidCostIncrease: true,
      autoPromote: true,
    },
    startedAt: new Date(t0),
    deadlineAt: new Date(t0 + 604_800_000),
    runCounts: { baseline: 0, candidate: 0, shadow: 0 },
    changedBy: 'test',
    reason: null,
    ...overrides,
  };
}

export function shadowState(overrides: Partial<ExperimentState> = {}): ExperimentState {
  return experimentState({
    mode: 'shadow',
    arms: [
      { arm: 'baseline', versionId: 'v-base' },
      { arm: 'shadow', versionId: 'v-cand' },
    ],
    trafficSplit: { candidateBasisPoints: 0, baselineBasisPoints: 0, shadowSampleBasisPoints: 1000 },
    ...overrides,
  });
}

export function promotion(overrides: Partial<VersionPromoted> = {}): VersionPromoted {
  return {
    eventId: randomUUID(),
    agentId: 'agent-1',
    previousVersionId: 'v-base',
    promotedVersionId: 'v-cand',
    mode: 'auto',
    experimentId: 'exp-1',
    proposalId: 'proposal-1',
    approvalId: null,
    approvalDecision: 'auto_approved',
    approver: null,
    riskTier: 'low',
    reason: null,
    promotedAt: new Date(t0 + 1000),
    ...overrides,
  };
}

/** A seeded experiment's opening state (version 1), built from its rows as the proposer builds it. */
export async function openingState(db: Kysely<Database>, e: SeededExperiment): Promise<ExperimentState> {
  const row = (await getExperiment(db, e.experimentId))!;
  const proposal = await db
    .selectFrom('proposals')
    .selectAll()
    .where('id', '=', e.proposalId)
    .executeTakeFirstOrThrow();
  const policy = row.policy as unknown as ExperimentPolicy;
  return experimentState({
    eventId: `experiment-state-${row.id}-v${row.version}`,
    experimentId: row.id,
    agentId: row.agent_id,
    version: row.version,
    changedAt: row.started_at,
    status: 'running',
    mode: row.mode,
    arms: [
      { arm: 'baseline', versionId: e.baselineVersionId },
      { arm: row.mode === 'shadow' ? 'shadow' : 'candidate', versionId: e.candidateVersionId },
    ],
    salt: row.salt,
    trafficSplit: row.traffic_split as unknown as TrafficSplit,
    rampSchedule: row.ramp_schedule as unknown as RampStep[],
    rampStepIndex: row.ramp_step_index,
    proposalId: row.proposal_id,
    sessionId: e.sessionId,
    riskTier: proposal.risk_tier,
    autoEligible: proposal.auto_eligible,
    policy,
    startedAt: row.started_at,
    deadlineAt: new Date(row.started_at.getTime() + policy.maxDurationMs),
    runCounts: { baseline: 0, candidate: 0, shadow: 0 },
    changedBy: 'proposer',
    reason: null,
  });
}

/** The router's three topics under `prefix`: the compacted state, the promotions, and the tags. */
export async function createRouterTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = [
      {
        topic: `${prefix}.learning.experiment.state.v1`,
        numPartitions: 3,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
      { topic: `${prefix}.learning.version.promoted.v1`, numPartitions: 2 },
      { topic: `${prefix}.agent.run.assigned.v1`, numPartitions: 3 },
    ];
    await admin.createTopics({ waitForLeaders: false, topics });
    await waitForTopics(
      admin,
      topics.map((t) => t.topic),
    );
  } finally {
    await admin.disconnect();
  }
}
