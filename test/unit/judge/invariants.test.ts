import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExperimentPolicy, ExperimentStatus, Moments } from '../../../lib/contracts/types.generated.ts';
import {
  emptySufficientStatistics,
  type SufficientStatistics,
} from '../../../services/experiment-judge/analysis.pure.ts';
import type { ExperimentView, JudgeMemory } from '../../../services/experiment-judge/decision.pure.ts';
import { evaluate, type JudgeInputs } from '../../../services/experiment-judge/evaluate.pure.ts';
import { measureOf, type ArmMoments } from '../../../services/experiment-judge/measures.pure.ts';
import { hour, t0 } from './support.ts';

// Properties of the whole judge (statistics then decision) over arbitrary data, policies, experiments and times.

const day = 24 * hour;

function continuous(lo: number, hi: number): fc.Arbitrary<Moments> {
  return fc
    .record({
      n: fc.integer({ min: 0, max: 3000 }),
      mean: fc.double({ min: lo, max: hi, noNaN: true }),
      sd: fc.double({ min: 0, max: (hi - lo) / 2, noNaN: true }),
    })
    .map(({ n, mean, sd }) =>
      n === 0
        ? { n: 0, sum: 0, sumSquares: 0 }
        : { n, sum: n * mean, sumSquares: Math.max(0, n - 1) * sd * sd + n * mean * mean },
    );
}
const binary: fc.Arbitrary<Moments> = fc
  .integer({ min: 0, max: 3000 })
  .chain((n) => fc.integer({ min: 0, max: n }).map((count) => ({ n, sum: count, sumSquares: count })));
/** Paired differences of a 0/1 measure: values in {−1, 0, 1}. */
const binaryPairs: fc.Arbitrary<Moments> = fc
  .record({
    n: fc.integer({ min: 0, max: 3000 }),
    up: fc.double({ min: 0, max: 1, noNaN: true }),
    down: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ n, up, down }) => {
    const wins = Math.floor(n * up * 0.5);
    const losses = Math.floor(n * down * 0.5);
    return { n, sum: wins - losses, sumSquares: wins + losses };
  });

const arm: fc.Arbitrary<ArmMoments> = fc.record({
  score: continuous(0, 1),
  passed: binary,
  failure: binary,
  guardrailHit: binary,
  costUsd: continuous(0, 0.02),
  latencyMs: continuous(0, 5000),
});
const pairs: fc.Arbitrary<ArmMoments> = fc.record({
  score: continuous(-1, 1),
  passed: binaryPairs,
  failure: binaryPairs,
  guardrailHit: binaryPairs,
  costUsd: continuous(-0.02, 0.02),
  latencyMs: continuous(-3000, 3000),
});
const statistics: fc.Arbitrary<SufficientStatistics> = fc
  .record({
    baseline: arm,
    candidate: arm,
    pairs,
    units: fc.array(
      fc.record({
        baseline: fc.nat(5000),
        candidate: fc.nat(5000),
        candidateShare: fc.integer({ min: 100, max: 5000 }),
      }),
      { maxLength: 3 },
    ),
  })
  .map(({ baseline, candidate, pairs: p, units }) => ({
    ...emptySufficientStatistics(),
    baseline,
    candidate,
    pairs: p,
    scorePairs: {
      wins: Math.floor(p.score.n / 2),
      losses: Math.floor(p.score.n / 3),
      ties: p.score.n - Math.floor(p.score.n / 2) - Math.floor(p.score.n / 3),
    },
    splitPeriods: units.map((u) => ({
      baseline: u.baseline,
      candidate: u.candidate,
      baselineShare: u.candidateShare,
      candidateShare: u.candidateShare,
    })),
  }));

/** Data of a candidate that should win: a clear score lift, the same rates, cost and latency. Keeps promotions common. */
const winning: fc.Arbitrary<SufficientStatistics> = fc
  .record({
    n: fc.integer({ min: 1500, max: 3000 }),
    mean: fc.double({ min: 0.3, max: 0.7, noNaN: true }),
    lift: fc.double({ min: 0.02, max: 0.15, noNaN: true }),
    failure: fc.double({ min: 0, max: 0.1, noNaN: true }),
    hits: fc.double({ min: 0, max: 0.02, noNaN: true }),
  })
  .map(({ n, mean, lift, failure, hits }) => {
    const cont = (m: number, sd: number) => ({ n, sum: n * m, sumSquares: (n - 1) * sd * sd + n * m * m });
    const rate = (r: number) => ({ n, sum: Math.round(n * r), sumSquares: Math.round(n * r) });
    const armOf = (score: number): ArmMoments => ({
      score: cont(score, 0.2),
      passed: rate(score),
      failure: rate(failure),
      guardrailHit: rate(hits),
      costUsd: cont(0.004, 0.0005),
      latencyMs: cont(1000, 100),
    });
    const flat = (sd: number) => cont(0, sd);
    return {
      ...emptySufficientStatistics(),
      baseline: armOf(mean),
      candidate: armOf(Math.min(1, mean + lift)),
      pairs: {
        score: cont(lift, 0.1),
        passed: { n, sum: 0, sumSquares: 10 },
        failure: { n, sum: 0, sumSquares: 6 },
        guardrailHit: { n, sum: 0, sumSquares: 2 },
        costUsd: flat(0.0001),
        latencyMs: flat(50),
      },
      scorePairs: { wins: Math.floor(n * 0.7), losses: n - Math.floor(n * 0.7), ties: 0 },
      splitPeriods: [{ baseline: n, candidate: n, baselineShare: 500, candidateShare: 500 }],
    };
  });

// tool_error_rate is one the judge does not measure: rarer, since a guardrail on it blocks every promotion.
const guardrailMetrics = [
  'failure_rate',
  'guardrail_hit_rate',
  'cost_per_run',
  'latency_p95_ms',
  'pass_rate',
  'failure_rate',
  'cost_per_run',
  'tool_error_rate',
] as const;
/** Margins in each metric's unit: a fraction of a rate, up to 500 ms of latency, up to half a cent of cost. */
const scale: Partial<Record<(typeof guardrailMetrics)[number], number>> = { latency_p95_ms: 5000, cost_per_run: 0.05 };
const policy: fc.Arbitrary<ExperimentPolicy> = fc
  .record({
    alpha: fc.constantFrom(0.01, 0.05, 0.1),
    tuningSampleSize: fc.integer({ min: 200, max: 20_000 }),
    minimumEffect: fc.double({ min: 0, max: 0.05, noNaN: true }),
    minRunsPerArm: fc.integer({ min: 1, max: 3000 }),
    minDurationMs: fc.integer({ min: 0, max: 2 * day }),
    extraDurationMs: fc.integer({ min: 1, max: 14 * day }),
    sustainedMs: fc.integer({ min: 0, max: 12 * hour }),
    primaryMetric: fc.constantFrom(
      'score' as const,
      'score' as const,
      'failure_rate' as const,
      'pass_rate' as const,
      'negative_feedback_rate' as const,
    ),
    guardrails: fc.uniqueArray(
      fc
        .record({
          metric: fc.constantFrom(...guardrailMetrics),
          fraction: fc.double({ min: 0, max: 0.1, noNaN: true }),
        })
        .map(({ metric, fraction }) => ({ metric, margin: fraction * (scale[metric] ?? 1) })),
      { selector: (g) => g.metric, maxLength: 5 },
    ),
    forbidCostIncrease: fc.boolean(),
    autoPromote: fc.constantFrom(true, true, true, false),
  })
  .map(({ extraDurationMs, ...p }) => ({
    ...p,
    policyVersion: 1,
    maxDurationMs: p.minDurationMs + extraDurationMs,
    srmPValue: 0.001,
  }));

const statuses: ExperimentStatus[] = [
  'running',
  'running',
  'running',
  'awaiting_approval',
  'awaiting_approval',
  'paused',
  'promoted',
  'failed',
  'rejected',
  'inconclusive',
  'cancelled',
];
const experiment: fc.Arbitrary<ExperimentView> = fc
  .record({
    status: fc.constantFrom(...statuses),
    mode: fc.constantFrom('ab' as const, 'shadow' as const),
    riskTier: fc.constantFrom('low' as const, 'low' as const, 'medium' as const, 'high' as const),
    autoEligible: fc.constantFrom(true, true, true, false),
    // As the policy allows them: increasing, each at most half the buckets (the router measures each arm in its half).
    steps: fc
      .uniqueArray(fc.integer({ min: 1, max: 5000 }), { minLength: 0, maxLength: 5 })
      .map((xs) => xs.sort((a, b) => a - b)),
    stepIndex: fc.nat(5),
    stepMinRuns: fc.integer({ min: 0, max: 500 }),
    expiresIn: fc.option(fc.integer({ min: 0, max: 20 * day })),
  })
  .map((e) => {
    const rampSchedule = e.steps.map((bp) => ({
      candidateBasisPoints: bp,
      minDurationMs: hour,
      minRunsPerArm: e.stepMinRuns,
    }));
    const index = rampSchedule.length === 0 ? 0 : e.stepIndex % rampSchedule.length;
    const candidate = rampSchedule[index]?.candidateBasisPoints ?? 500;
    return {
      experimentId: 'exp',
      status: e.status,
      mode: e.mode,
      riskTier: e.riskTier,
      autoEligible: e.autoEligible,
      startedAt: t0,
      trafficSplit: {
        candidateBasisPoints: candidate,
        baselineBasisPoints: Math.min(candidate, 10_000 - candidate),
        shadowSampleBasisPoints: 1000,
      },
      rampSchedule,
      rampStepIndex: index,
      approvalExpiresAt: e.expiresIn === null ? null : t0 + e.expiresIn,
    };
  });

const memory: fc.Arbitrary<JudgeMemory> = fc.record({
  primaryBetterSince: fc.option(fc.integer({ min: t0, max: t0 + 15 * day })),
  rampStepStartedAt: fc.integer({ min: t0, max: t0 + 15 * day }),
  stepRuns: fc.record({ baseline: fc.nat(2000), candidate: fc.nat(2000) }),
  srmPaused: fc.boolean(),
});

const inputs: fc.Arbitrary<JudgeInputs> = fc
  .record({
    experiment,
    memory,
    policy,
    statistics: fc.oneof(statistics, winning),
    elapsed: fc.integer({ min: 0, max: 15 * day }),
  })
  .map(({ experiment: e, memory: m, policy: p, statistics: s, elapsed }) => {
    const now = t0 + elapsed;
    return {
      experiment: e,
      memory: {
        ...m,
        primaryBetterSince: m.primaryBetterSince === null ? null : Math.min(m.primaryBetterSince, now),
        rampStepStartedAt: Math.min(m.rampStepStartedAt, now),
      },
      policy: p,
      arms: [
        { arm: 'baseline' as const, versionId: 'v1' },
        { arm: e.mode === 'shadow' ? ('shadow' as const) : ('candidate' as const), versionId: 'v2' },
      ],
      statistics: s,
      now,
    };
  });
const withApproval = fc.record({
  inputs,
  decision: fc.constantFrom('approved' as const, 'rejected' as const),
  approver: fc.option(fc.string()),
});

const runs = { numRuns: 3000 };
const binding = (p: ExperimentPolicy) =>
  p.guardrails.filter((g) => g.metric !== 'cost_per_run' || p.forbidCostIncrease).map((g) => g.metric);
const promotes = (action: string) => action === 'promote' || action === 'request_approval';

describe('judge invariants (fast-check)', () => {
  it('a high- or medium-risk or non-auto-eligible candidate is never promoted without an approval', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const { decision } = evaluate(i);
        if (decision.action === 'promote') {
          expect(i.policy.autoPromote && i.experiment.riskTier === 'low' && i.experiment.autoEligible).toBe(true);
          expect(decision.promotionMode).toBe('auto');
        }
      }),
      runs,
    );
  });

  it('after an approval, only an approved request of an experiment awaiting it is promoted', () => {
    fc.assert(
      fc.property(withApproval, ({ inputs: i, decision, approver }) => {
        const d = evaluate({ ...i, approval: { decision, approver } }).decision;
        if (d.action === 'promote') {
          expect(decision).toBe('approved');
          expect(i.experiment.status).toBe('awaiting_approval');
          expect(d.promotionMode).toBe('manual');
        }
      }),
      runs,
    );
  });

  it('a candidate with a significant guardrail regression (or a significantly worse primary) is never promoted, asked about, or ramped', () => {
    fc.assert(
      fc.property(withApproval, ({ inputs: i, decision, approver }) => {
        const analysed = evaluate(i);
        const regressed = analysed.analysis.statistics.guardrails.some(
          (g) => g.outcome === 'regressed' && binding(i.policy).includes(g.metric),
        );
        const worse = analysed.analysis.statistics.primary?.outcome === 'worse';
        const answered = evaluate({ ...i, approval: { decision, approver } });
        for (const judged of [analysed, answered]) {
          if (regressed || worse) expect(['promote', 'request_approval', 'ramp']).not.toContain(judged.decision.action);
        }
        // And it fails at once, wherever the experiment stood (a rejection by a person closes it anyway).
        if ((regressed || worse) && ['running', 'awaiting_approval'].includes(i.experiment.status))
          expect(analysed.decision.action).toBe('fail');
        if ((regressed || worse) && i.experiment.status === 'awaiting_approval')
          expect(['fail', 'reject']).toContain(answered.decision.action);
      }),
      runs,
    );
  });

  it('nothing is promoted (or put to a person) before the minimum runs per arm and the minimum duration', () => {
    fc.assert(
      fc.property(withApproval, ({ inputs: i, decision, approver }) => {
        for (const judged of [evaluate(i), evaluate({ ...i, approval: { decision, approver } })]) {
          if (!promotes(judged.decision.action)) continue;
          expect(Math.min(judged.analysis.samples.baseline, judged.analysis.samples.candidate)).toBeGreaterThanOrEqual(
            i.policy.minRunsPerArm,
          );
          expect(i.now - i.experiment.startedAt).toBeGreaterThanOrEqual(i.policy.minDurationMs);
          // And only with every binding guardrail significantly within its margin.
          for (const metric of binding(i.policy)) {
            expect(measureOf(metric)).toBeDefined();
            expect(judged.analysis.statistics.guardrails.find((g) => g.metric === metric)?.outcome).toBe(
              'non_inferior',
            );
          }
        }
      }),
      runs,
    );
  });

  it('a ramp only raises the candidate share to the next step of the schedule, in a running A/B experiment', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const { decision } = evaluate(i);
        if (decision.action !== 'ramp') return;
        expect(i.experiment).toMatchObject({ status: 'running', mode: 'ab' });
        expect(decision.nextRampStepIndex).toBe(i.experiment.rampStepIndex + 1);
        const next = decision.nextTrafficSplit!;
        expect(next.candidateBasisPoints).toBe(
          i.experiment.rampSchedule[i.experiment.rampStepIndex + 1]!.candidateBasisPoints,
        );
        expect(next.candidateBasisPoints).toBeGreaterThan(i.experiment.trafficSplit.candidateBasisPoints);
        expect(next.candidateBasisPoints).toBeLessThanOrEqual(5000);
        expect(next.baselineBasisPoints).toBeLessThanOrEqual(5000);
      }),
      runs,
    );
  });

  it('only running and awaiting experiments are decided on, and statuses move only along allowed edges', () => {
    const allowed: Record<string, string[]> = {
      running: ['running', 'awaiting_approval', 'promoted', 'failed', 'inconclusive', 'paused'],
      awaiting_approval: ['awaiting_approval', 'failed', 'paused', 'rejected', 'promoted', 'running'],
    };
    fc.assert(
      fc.property(withApproval, ({ inputs: i, decision, approver }) => {
        const from = i.experiment.status;
        const analysed = evaluate(i).decision;
        const answered = evaluate({ ...i, approval: { decision, approver } }).decision;
        for (const d of [analysed, answered]) {
          if (!allowed[from]) {
            expect(d).toMatchObject({ action: 'continue', status: from, reasons: [] });
            continue;
          }
          expect(allowed[from]).toContain(d.status);
        }
        // A request is withdrawn exactly when the judge fails or pauses an experiment that was waiting; an answered
        // request is already decided, so there is nothing to withdraw.
        expect(analysed.withdrawApproval).toBe(
          from === 'awaiting_approval' && ['fail', 'pause'].includes(analysed.action),
        );
        expect(answered.withdrawApproval).toBe(false);
      }),
      runs,
    );
  });

  it('is a function: the same inputs give the same decision, and the inputs are not changed', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const copy = structuredClone(i);
        expect(evaluate(i)).toEqual(evaluate(copy));
        expect(i).toEqual(copy);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the generators', () => {
  it('reach every decision, so that the properties above are not vacuous', () => {
    const seen = new Map<string, number>();
    for (const x of fc.sample(withApproval, { numRuns: 4000, seed: 42 })) {
      const analysed = evaluate(x.inputs).decision.action;
      const answered = evaluate({ ...x.inputs, approval: { decision: x.decision, approver: x.approver } }).decision
        .action;
      seen.set(analysed, (seen.get(analysed) ?? 0) + 1);
      seen.set(`approval:${answered}`, (seen.get(`approval:${answered}`) ?? 0) + 1);
    }
    for (const action of [
      'continue',
      'ramp',
      'promote',
      'request_approval',
      'fail',
      'pause',
      'reject',
      'approval:promote',
      'approval:fail',
      'approval:reject',
    ]) {
      expect(seen.get(action) ?? 0, action).toBeGreaterThanOrEqual(5);
    }
  });
});
