import { describe, expect, it } from 'vitest';
import { absoluteDifference, confidenceSequence, withAgrestiCaffo } from '../../../lib/stats/index.ts';
import {
  addCompletion,
  addCompletionPair,
  addEvaluation,
  addEvaluationPair,
  addUnit,
  completionValues,
  evaluationValues,
} from '../../../services/experiment-judge/accumulate.pure.ts';
import {
  analyse,
  emptySufficientStatistics,
  type SufficientStatistics,
} from '../../../services/experiment-judge/analysis.pure.ts';
import { seededRandom } from '../../helpers/judge-simulation.ts';
import { policy } from './support.ts';

const arms = [
  { arm: 'baseline' as const, versionId: 'v1' },
  { arm: 'candidate' as const, versionId: 'v2' },
];
const split = { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 };

/** n runs per arm with the given failure rates and score means (deterministic). */
function abData(
  n: number,
  b: { failure: number; score: number },
  c: { failure: number; score: number },
): SufficientStatistics {
  const s = emptySufficientStatistics();
  const rng = seededRandom(7);
  for (let i = 0; i < n; i++) {
    for (const [side, m] of [
      ['baseline', b],
      ['candidate', c],
    ] as const) {
      addUnit(s, side, 0, split);
      addCompletion(s, side, {
        failure: rng.uniform() < m.failure ? 1 : 0,
        guardrailHit: 0,
        costUsd: 0.004,
        latencyMs: 1000 + rng.normal(0, 100),
      });
      addEvaluation(s, side, { score: Math.min(1, Math.max(0, rng.normal(m.score, 0.2))), passed: 1 });
    }
  }
  return s;
}

describe('analyse', () => {
  it('with no data: no primary, no guardrail test, no SRM, zero samples', () => {
    const a = analyse({ mode: 'ab', arms, policy }, emptySufficientStatistics());
    expect(a.statistics).toMatchObject({ primary: null, guardrails: [], srm: null });
    expect(a.samples).toEqual({ baseline: 0, candidate: 0 });
    expect(a.statistics.arms.map((x) => [x.arm, x.versionId])).toEqual([
      ['baseline', 'v1'],
      ['candidate', 'v2'],
    ]);
  });

  it('the primary is the confidence sequence of the score difference, with the always-valid p-value, chance to win and relative lift', () => {
    const s = abData(3000, { failure: 0.05, score: 0.7 }, { failure: 0.05, score: 0.75 });
    const a = analyse({ mode: 'ab', arms, policy }, s);
    const cs = confidenceSequence(absoluteDifference(s.baseline.score, s.candidate.score)!, 0.05, 5000);
    expect(a.statistics.primary).toMatchObject({ metric: 'score', outcome: 'better', alpha: 0.05 });
    expect(a.statistics.primary!.lower).toBeCloseTo(cs.lower, 12);
    expect(a.primaryDetail!.pValue).toBeLessThan(0.05);
    expect(a.primaryDetail!.chanceToWin).toBeGreaterThan(0.99);
    expect(a.primaryDetail!.relative!.estimate).toBeCloseTo(
      a.statistics.primary!.estimate / (s.baseline.score.sum / s.baseline.score.n),
      10,
    );
    expect(a.samples).toEqual({ baseline: 3000, candidate: 3000 });
  });

  it('a minimum effect moves the bar: better only when the lower bound clears it', () => {
    const s = abData(3000, { failure: 0.05, score: 0.7 }, { failure: 0.05, score: 0.75 });
    const lower = analyse({ mode: 'ab', arms, policy }, s).statistics.primary!.lower;
    expect(
      analyse({ mode: 'ab', arms, policy: { ...policy, minimumEffect: lower + 0.001 } }, s).statistics.primary!.outcome,
    ).toBe('inconclusive');
  });

  it('a lower-is-better primary (failure rate) is better when the candidate fails less', () => {
    const s = abData(6000, { failure: 0.2, score: 0.7 }, { failure: 0.1, score: 0.7 });
    const a = analyse({ mode: 'ab', arms, policy: { ...policy, primaryMetric: 'failure_rate' } }, s);
    expect(a.statistics.primary).toMatchObject({ metric: 'failure_rate', outcome: 'better' });
    expect(a.statistics.primary!.estimate).toBeLessThan(0);
  });

  it('guardrails: more failures in the candidate is a regression beyond the margin; equal rates are non-inferior', () => {
    const worse = analyse(
      { mode: 'ab', arms, policy },
      abData(3000, { failure: 0.05, score: 0.7 }, { failure: 0.15, score: 0.7 }),
    );
    const failure = worse.statistics.guardrails.find((g) => g.metric === 'failure_rate')!;
    expect(failure).toMatchObject({ outcome: 'regressed', margin: 0.02 });
    expect(failure.estimate).toBeGreaterThan(0.08);
    expect(failure.bound).toBeGreaterThan(0.02);
    const same = analyse(
      { mode: 'ab', arms, policy },
      abData(6000, { failure: 0.05, score: 0.7 }, { failure: 0.05, score: 0.7 }),
    );
    expect(same.statistics.guardrails.find((g) => g.metric === 'failure_rate')).toMatchObject({
      outcome: 'non_inferior',
    });
    expect(same.statistics.guardrails.find((g) => g.metric === 'latency_p95_ms')).toMatchObject({
      outcome: 'non_inferior',
    });
  });

  it('0/1 guardrails use the Agresti–Caffo adjustment: no failures at all is not certainty after a few runs', () => {
    const s = abData(20, { failure: 0, score: 0.7 }, { failure: 0, score: 0.7 });
    const a = analyse({ mode: 'ab', arms, policy }, s);
    expect(a.statistics.guardrails.find((g) => g.metric === 'failure_rate')!.outcome).toBe('inconclusive');
    const adjusted = absoluteDifference(withAgrestiCaffo(s.baseline.failure), withAgrestiCaffo(s.candidate.failure))!;
    expect(adjusted.variance).toBeGreaterThan(0);
  });

  it('a higher-is-better guardrail (pass rate) regresses when the candidate passes less', () => {
    const s = emptySufficientStatistics();
    for (let i = 0; i < 4000; i++) {
      addEvaluation(s, 'baseline', { score: 0.7, passed: i % 10 < 9 ? 1 : 0 });
      addEvaluation(s, 'candidate', { score: 0.7, passed: i % 10 < 6 ? 1 : 0 });
    }
    const a = analyse(
      { mode: 'ab', arms, policy: { ...policy, guardrails: [{ metric: 'pass_rate', margin: 0.05 }] } },
      s,
    );
    expect(a.statistics.guardrails[0]).toMatchObject({ metric: 'pass_rate', outcome: 'regressed' });
    expect(a.statistics.guardrails[0]!.estimate).toBeCloseTo(-0.3, 2);
  });

  it('metrics the judge does not measure get no test (and so never pass)', () => {
    const a = analyse(
      { mode: 'ab', arms, policy: { ...policy, guardrails: [{ metric: 'tool_error_rate', margin: 0.1 }] } },
      abData(100, { failure: 0, score: 0.7 }, { failure: 0, score: 0.7 }),
    );
    expect(a.statistics.guardrails).toEqual([]);
  });

  it('SRM: judged on the always-valid p-value, only with a handful of units per arm', () => {
    const s = emptySufficientStatistics();
    for (let i = 0; i < 3; i++) addUnit(s, 'baseline', 0, split);
    expect(analyse({ mode: 'ab', arms, policy }, s).statistics.srm).toBeNull();
    for (let i = 0; i < 6000; i++) addUnit(s, i % 10 < 6 ? 'baseline' : 'candidate', 0, split);
    const srm = analyse({ mode: 'ab', arms, policy }, s).statistics.srm!;
    expect(srm).toMatchObject({ expectedCandidateShare: 0.5, mismatch: true });
    expect(srm.chiSquare).toBeGreaterThan(200);
    const fair = emptySufficientStatistics();
    for (let i = 0; i < 6000; i++) addUnit(fair, i % 2 === 0 ? 'baseline' : 'candidate', 0, split);
    expect(analyse({ mode: 'ab', arms, policy }, fair).statistics.srm).toMatchObject({ mismatch: false, pValue: 1 });
  });

  it('SRM follows the ramp: units are compared with the split in force when they entered', () => {
    const s = emptySufficientStatistics();
    const first = { candidateBasisPoints: 500, baselineBasisPoints: 9500, shadowSampleBasisPoints: 0 };
    const second = { candidateBasisPoints: 2500, baselineBasisPoints: 7500, shadowSampleBasisPoints: 0 };
    for (let i = 0; i < 4000; i++) addUnit(s, i % 20 === 0 ? 'candidate' : 'baseline', 0, first);
    for (let i = 0; i < 4000; i++) addUnit(s, i % 4 === 0 ? 'candidate' : 'baseline', 1, second);
    const srm = analyse({ mode: 'ab', arms, policy }, s).statistics.srm!;
    expect(srm.mismatch).toBe(false);
    expect(srm.expectedCandidateShare).toBeCloseTo(0.15, 10);
  });

  it('shadow mode: the primary and the guardrails come from the pairs; arms are baseline and shadow; the win rate is reported', () => {
    const s = emptySufficientStatistics();
    const rng = seededRandom(3);
    for (let i = 0; i < 2000; i++) {
      const base = rng.normal(0.6, 0.2);
      const cand = base + rng.normal(0.04, 0.05);
      const b = { score: base, passed: 1 };
      const c = { score: cand, passed: 1 };
      addEvaluation(s, 'baseline', b);
      addEvaluation(s, 'candidate', c);
      addEvaluationPair(s, b, c);
      const cb = { failure: 0, guardrailHit: 0, costUsd: 0.004, latencyMs: 1000 };
      addCompletion(s, 'baseline', cb);
      addCompletion(s, 'candidate', cb);
      addCompletionPair(s, cb, cb);
    }
    const a = analyse({ mode: 'shadow', arms: [arms[0]!, { arm: 'shadow', versionId: 'v2' }], policy }, s);
    expect(a.statistics.arms.map((x) => x.arm)).toEqual(['baseline', 'shadow']);
    expect(a.statistics.primary).toMatchObject({ outcome: 'better' });
    expect(a.statistics.srm).toBeNull();
    expect(a.samples).toEqual({ baseline: 2000, candidate: 2000 });
    expect(a.primaryDetail).toMatchObject({ pairs: 2000, relative: null });
    expect(a.primaryDetail!.winRate).toBeGreaterThan(0.7);
    // Identical completions: zero differences, made honest by the pseudo-pairs; cost and latency exactly equal.
    expect(a.statistics.guardrails.map((g) => g.outcome)).toEqual([
      'non_inferior',
      'non_inferior',
      'non_inferior',
      'non_inferior',
    ]);
  });
});

describe('accumulating events', () => {
  it('a completion counts a failure for any status but succeeded, and a guardrail hit for any hit', () => {
    const base = { costUsd: 0.01, latencyMs: 900, guardrailHits: [] };
    expect(completionValues({ ...base, status: 'succeeded' })).toEqual({
      failure: 0,
      guardrailHit: 0,
      costUsd: 0.01,
      latencyMs: 900,
    });
    for (const status of ['failed', 'timed_out', 'cancelled'] as const)
      expect(completionValues({ ...base, status }).failure).toBe(1);
    expect(
      completionValues({ ...base, status: 'succeeded', guardrailHits: [{ rule: 'pii', severity: 'low' }] })
        .guardrailHit,
    ).toBe(1);
    expect(evaluationValues({ score: 0.4, passed: false })).toEqual({ score: 0.4, passed: 0 });
  });

  it('pairs tally wins, losses and ties on the score', () => {
    const s = emptySufficientStatistics();
    addEvaluationPair(s, { score: 0.5, passed: 1 }, { score: 0.6, passed: 1 });
    addEvaluationPair(s, { score: 0.5, passed: 1 }, { score: 0.5, passed: 0 });
    addEvaluationPair(s, { score: 0.5, passed: 1 }, { score: 0.4, passed: 1 });
    expect(s.scorePairs).toEqual({ wins: 1, losses: 1, ties: 1 });
    expect(s.pairs.passed).toEqual({ n: 3, sum: -1, sumSquares: 1 });
  });
});
