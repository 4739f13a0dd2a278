import { describe, expect, it } from 'vitest';
import type {
  ApprovalDecided,
  RunAssigned,
  RunCompleted,
  RunEvaluated,
  TopicName,
} from '../../../lib/contracts/types.generated.ts';
import type { ConsumedEvent } from '../../../lib/kafka/batch.ts';
import { verdictEvent } from '../../../services/experiment-judge/events.pure.ts';
import {
  applyEvent,
  dataGrown,
  experimentIdsOf,
  newFold,
  type Fold,
  type World,
  verdictGrowth,
} from '../../../services/experiment-judge/fold.pure.ts';
import { newJudgeState, type ExperimentRecord } from '../../../services/experiment-judge/model.pure.ts';
import { experimentRecord } from '../../helpers/judge-simulation.ts';
import { policy, t0 } from './support.ts';

// The judge's fold over events, without a database: the join to the router's records, counting once, the evaluator,
// shadow pairs, approvals, and when verdicts and state changes come out.

function record(overrides: Partial<ExperimentRecord> = {}): ExperimentRecord {
  return experimentRecord({
    sessionId: 's',
    policy: { ...policy, minRunsPerArm: 1_000_000 },
    startedAt: t0,
    ...overrides,
  });
}

function fold(experiment = record()): Fold {
  const world: World = {
    experiments: new Map([[experiment.id, experiment]]),
    judges: new Map([[experiment.id, newJudgeState(t0)]]),
    runs: new Map(),
    units: new Map(),
    approvals: new Map(),
  };
  return newFold(world);
}

let seq = 0;
function event(topic: TopicName, value: { eventId?: string } & Record<string, unknown>): ConsumedEvent {
  const eventId = value.eventId ?? `e${seq++}`;
  return { topic, partition: 0, offset: seq, key: 'agent', eventId, value: { ...value, eventId } };
}
const at = (i: number) => new Date(t0 + i * 1000);
const assigned = (runId: string, arm: RunAssigned['arm'], o: Partial<RunAssigned> = {}) =>
  event('agent.run.assigned.v1', {
    runId,
    agentId: 'agent',
    unitId: null,
    bucket: 1,
    experimentId: 'exp',
    experimentVersion: 1,
    mode: 'ab',
    arm,
    versionId: arm === 'baseline' ? 'vb' : 'vc',
    assignedAt: at(1),
    ...o,
  });
const completed = (runId: string, arm: RunCompleted['arm'], o: Partial<RunCompleted> = {}) =>
  event('agent.run.completed.v1', {
    runId,
    agentId: 'agent',
    agentVersionId: arm === 'baseline' ? 'vb' : 'vc',
    experimentId: 'exp',
    arm,
    status: 'succeeded',
    startedAt: at(1),
    completedAt: at(2),
    latencyMs: 900,
    costUsd: 0.004,
    inputTokens: 1,
    outputTokens: 1,
    toolCalls: 0,
    toolErrors: 0,
    guardrailHits: [],
    userFeedback: null,
    unitId: null,
    ...o,
  });
const evaluated = (runId: string, arm: RunEvaluated['arm'], score: number, o: Partial<RunEvaluated> = {}) =>
  event('agent.run.evaluated.v1', {
    runId,
    agentId: 'agent',
    agentVersionId: arm === 'baseline' ? 'vb' : 'vc',
    experimentId: 'exp',
    arm,
    evaluatorId: 'judge-a',
    score,
    passed: true,
    failureCategories: [],
    evaluatedAt: at(3),
    ...o,
  });
const tally = (f: Fold) => Object.fromEntries(f.tally);

describe('the fold: joining runs to the router’s records', () => {
  it('counts an observation when its run’s record is there, whichever came first, and only once', () => {
    const f = fold();
    for (const e of [
      completed('r1', 'baseline'),
      evaluated('r1', 'baseline', 0.7),
      assigned('r1', 'baseline'),
      assigned('r2', 'candidate'),
      completed('r2', 'candidate'),
      completed('r2', 'candidate', { eventId: 'again' }),
    ])
      applyEvent(f, e);
    const s = f.world.judges.get('exp')!.statistics;
    expect(s.baseline.failure.n).toBe(1);
    expect(s.baseline.score).toEqual({ n: 1, sum: 0.7, sumSquares: 0.7 * 0.7 });
    expect(s.candidate.failure.n).toBe(1);
    expect(tally(f)).toMatchObject({
      'completion:parked': 1,
      'evaluation:parked': 1,
      'completion:matched_late': 1,
      'evaluation:matched_late': 1,
      'assignment:recorded': 2,
      'completion:counted': 1,
      'completion:duplicate': 1,
    });
    expect(f.world.judges.get('exp')!.memory.stepRuns).toEqual({ baseline: 1, candidate: 1 });
  });

  it('an observation of an arm the router did not assign waits, and is never counted; a wrong version is ignored', () => {
    const f = fold();
    applyEvent(f, assigned('r1', 'baseline'));
    applyEvent(f, completed('r1', 'candidate', { agentVersionId: 'vc' }));
    applyEvent(f, completed('r2', 'baseline', { agentVersionId: 'v-other' }));
    applyEvent(f, assigned('r2', 'baseline'));
    const judge = f.world.judges.get('exp')!;
    expect(judge.statistics.baseline.failure.n + judge.statistics.candidate.failure.n).toBe(0);
    expect(judge.ignored).toEqual({ version_mismatch: 1 });
    expect(
      [...f.world.runs.values()].filter((r) => !r.assigned).map((r) => [r.runId, r.arm, r.completion?.state]),
    ).toEqual([['r1', 'candidate', 'parked']]);
  });

  it('untagged runs, unknown experiments and arms that do not fit the mode are tallied and skipped', () => {
    const f = fold();
    applyEvent(f, completed('r1', null, { experimentId: null }));
    applyEvent(f, completed('r2', 'baseline', { experimentId: 'nope' }));
    applyEvent(f, assigned('r3', 'shadow'));
    expect(tally(f)).toMatchObject({
      'completion:untagged': 1,
      'completion:unknown_experiment': 1,
      'assignment:arm_mismatch': 1,
    });
    expect(
      experimentIdsOf([
        completed('r', 'baseline'),
        completed('r', 'baseline', { experimentId: null }),
        assigned('q', 'baseline', { experimentId: 'b' }),
      ]),
    ).toEqual(['b', 'exp']);
  });

  it('scores come from one evaluator per experiment: the first seen', () => {
    const f = fold();
    applyEvent(f, assigned('r1', 'baseline'));
    applyEvent(f, evaluated('r1', 'baseline', 0.5, { evaluatorId: 'judge-b' }));
    applyEvent(f, evaluated('r1', 'baseline', 0.9, { evaluatorId: 'judge-a' }));
    const judge = f.world.judges.get('exp')!;
    expect(judge.evaluatorId).toBe('judge-b');
    expect(judge.statistics.baseline.score.sum).toBe(0.5);
    expect(judge.ignored).toEqual({ other_evaluator: 1 });
  });

  it('shadow mode: a pair counts once both halves are in, whatever the order', () => {
    const f = fold(
      record({
        mode: 'shadow',
        trafficSplit: { candidateBasisPoints: 0, baselineBasisPoints: 0, shadowSampleBasisPoints: 1000 },
      }),
    );
    applyEvent(f, evaluated('r1', 'shadow', 0.8));
    applyEvent(f, assigned('r1', 'shadow', { mode: 'shadow' }));
    expect(f.world.judges.get('exp')!.statistics.pairs.score.n).toBe(0);
    applyEvent(f, assigned('r1', 'baseline', { mode: 'shadow' }));
    applyEvent(f, evaluated('r1', 'baseline', 0.6));
    const s = f.world.judges.get('exp')!.statistics;
    expect(s.pairs.score.n).toBe(1);
    expect(s.pairs.score.sum).toBeCloseTo(0.2, 12);
    expect(s.scorePairs).toEqual({ wins: 1, losses: 0, ties: 0 });
    expect(s.splitPeriods).toEqual([]);
  });

  it('counts each unit once for the sample-ratio check, in the ramp period it first appeared in', () => {
    const f = fold();
    applyEvent(f, assigned('r1', 'baseline', { unitId: 'u1' }));
    applyEvent(f, assigned('r2', 'baseline', { unitId: 'u1' }));
    applyEvent(f, assigned('r3', 'candidate', { unitId: 'u2' }));
    expect(f.world.judges.get('exp')!.statistics.splitPeriods).toEqual([
      { baseline: 1, candidate: 1, baselineShare: 5000, candidateShare: 5000 },
    ]);
    expect([...f.changes.units]).toHaveLength(2);
  });
});

describe('the fold: decisions', () => {
  it('publishes a verdict when the decision or its reasons change, not on every event', () => {
    const f = fold();
    for (let i = 0; i < 20; i++) {
      applyEvent(f, assigned(`r${i}`, i % 2 ? 'candidate' : 'baseline'));
      applyEvent(
        f,
        evaluated(`r${i}`, i % 2 ? 'candidate' : 'baseline', 0.5 + (i % 3) / 10, { evaluatedAt: at(10 + i) }),
      );
    }
    const published = f.outcomes.filter((o) => o.verdictSeq !== null);
    expect(published.length).toBeLessThan(5);
    expect(published.map((o) => o.verdictSeq)).toEqual(published.map((_, i) => i + 1));
    expect(f.outcomes.every((o) => o.after.version === 1)).toBe(true);
  });

  it('publishes a verdict as the data grows (50 runs and 10% more than the last), numbered, with its marker', () => {
    const f = fold();
    for (let i = 0; i < 400; i++) {
      const arm = i % 2 ? 'candidate' : 'baseline';
      applyEvent(f, assigned(`g${i}`, arm));
      applyEvent(f, completed(`g${i}`, arm, { completedAt: at(10 + i) }));
    }
    const verdicts = f.outcomes.filter((o) => o.verdictSeq !== null).map(verdictEvent);
    expect(verdicts.map((v) => v.sequence)).toEqual(verdicts.map((_, i) => i + 1));
    const afters = verdicts.map((v) => v.after);
    // Same decision throughout (the minimum runs are far away): every verdict after the first is a growth verdict.
    expect(new Set(verdicts.map((v) => `${v.decision}:${v.reasons.map((r) => r.code)}`)).size).toBe(1);
    expect(afters.slice(1)).toEqual([50, 100, 150, 200, 250, 300, 350, 400]);
    for (const v of verdicts) expect(v.runCounts!.baseline + v.runCounts!.candidate).toBe(v.after);
    expect(verdicts.at(-1)!.armSummaries.map((a) => [a.arm, a.runs, a.failureRate])).toEqual([
      ['baseline', 200, 0],
      ['candidate', 200, 0],
    ]);
  });

  it('counts as grown at 50 more runs, or 10% more once that is more', () => {
    expect(dataGrown(49, 0)).toBe(false);
    expect(dataGrown(50, 0)).toBe(true);
    expect(dataGrown(549, 500)).toBe(false);
    expect(dataGrown(550, 500)).toBe(true);
    expect(dataGrown(1099, 1000)).toBe(false);
    expect(dataGrown(1100, 1000)).toBe(true);
    expect(verdictGrowth).toEqual({ minimumRuns: 50, factor: 1.1 });
  });

  it('a regression fails the experiment once: a new version, and later events are for an ended experiment', () => {
    const f = fold(record({ policy: { ...policy, guardrails: [{ metric: 'failure_rate', margin: 0 }] } }));
    for (let i = 0; i < 400; i++) {
      const arm = i % 2 ? 'candidate' : 'baseline';
      applyEvent(f, assigned(`r${i}`, arm));
      applyEvent(f, completed(`r${i}`, arm, { status: arm === 'candidate' ? 'failed' : 'succeeded' }));
    }
    const changes = f.outcomes.filter((o) => o.after.version !== o.before.version);
    expect(changes.map((o) => [o.judgement.decision.action, o.after.status, o.after.version])).toEqual([
      ['fail', 'failed', 2],
    ]);
    expect(f.tally.get('completion:experiment_ended')).toBeGreaterThan(0);
    // The outcome keeps a copy of the inputs as they were: later events did not change it.
    const failed = changes[0]!;
    expect(failed.inputs.statistics.candidate.failure.n).toBeLessThan(200);
  });

  it('an approval answers only the request the experiment waits on; its decision in the database stands', () => {
    const waiting = record({
      status: 'awaiting_approval',
      riskTier: 'high',
      autoEligible: false,
      pendingApproval: { id: 'ap-2', expiresAt: null, decided: true },
    });
    const f = fold(waiting);
    f.world.approvals.set('ap-1', { id: 'ap-1', experimentId: 'exp', decision: 'rejected', approver: 'x' });
    f.world.approvals.set('ap-2', { id: 'ap-2', experimentId: 'exp', decision: 'rejected', approver: 'bob' });
    const decided = (approvalId: string, decision: ApprovalDecided['decision']) =>
      event('learning.approval.decided.v1', {
        approvalId,
        experimentId: 'exp',
        agentId: 'agent',
        candidateVersionId: 'vc',
        decision,
        approver: 'eve',
        source: 'api',
        reason: null,
        decidedAt: at(100),
      });
    applyEvent(f, decided('ap-1', 'approved'));
    applyEvent(f, decided('unknown', 'approved'));
    expect(f.outcomes).toEqual([]);
    // The event says approved, the row (decided first) says rejected by bob: rejected it is.
    applyEvent(f, decided('ap-2', 'approved'));
    expect(
      f.outcomes.map((o) => [o.judgement.decision.action, o.after.status, o.approval?.approver, o.approval?.record]),
    ).toEqual([['reject', 'rejected', 'bob', false]]);
    expect(tally(f)).toMatchObject({ 'approval:stale': 1, 'approval:unknown': 1, 'approval:rejected': 1 });
  });
});
