import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  absoluteDifference,
  addObservation,
  alwaysValidPValue,
  chanceToWin,
  chiSquareSurvival,
  confidenceSequence,
  emptyMoments,
  fixedHorizonSampleSize,
  lowerBound,
  mean,
  mergeMoments,
  normalCdf,
  normalQuantile,
  oneSidedHalfWidth,
  pairedDifference,
  pearsonChiSquare,
  relativeDifference,
  sampleVariance,
  stratifiedSampleRatioTest,
  tallyPair,
  tuningRho,
  twoSidedHalfWidth,
  upperBound,
  winRate,
  type Moments,
  type PairTally,
  type SplitPeriod,
} from '../../../lib/stats/index.ts';

// Expected values computed by test/fixtures/stats/make_fixtures.py with numpy and scipy (see its docstring for what
// is independent of this code). Regenerate there, never by hand.
interface TwoSampleCase {
  name: string;
  alpha: number;
  tuningSampleSize: number;
  baseline: Moments;
  candidate: Moments;
  expected: {
    rho: number;
    estimate: number;
    variance: number;
    n: number;
    twoSidedHalfWidth: number;
    lower: number;
    upper: number;
    oneSidedHalfWidth: number;
    oneSidedUpper: number;
    oneSidedLower: number;
    pValue: number;
    chanceToWin: number;
    relative: { estimate: number; variance: number; twoSidedHalfWidth: number; pValue: number };
  };
}
interface Fixtures {
  moments: Array<{
    name: string;
    values: number[];
    splitAt: number;
    expected: Moments & { mean: number; variance: number };
  }>;
  twoSample: TwoSampleCase[];
  paired: Array<{
    name: string;
    alpha: number;
    tuningSampleSize: number;
    baseline: number[];
    candidate: number[];
    expected: {
      estimate: number;
      variance: number;
      n: number;
      twoSidedHalfWidth: number;
      lower: number;
      upper: number;
      oneSidedHalfWidth: number;
      pValue: number;
      chanceToWin: number | null;
      wins: number;
      losses: number;
      ties: number;
      winRate: number;
    };
  }>;
  srm: {
    pearson: Array<{
      observed: number[];
      shares: number[];
      expected: { chiSquare: number; pValue: number; degreesOfFreedom: number };
    }>;
    stratified: Array<{
      periods: SplitPeriod[];
      expected: { chiSquare: number; pValue: number; expectedCandidateShare: number };
    }>;
  };
  distributions: {
    normalCdf: Array<{ x: number; expected: number }>;
    normalQuantile: Array<{ p: number; expected: number }>;
    chiSquareSurvival: Array<{ x: number; df: number; expected: number }>;
    fixedHorizonSampleSize: Array<{ effect: number; sd: number; alpha: number; power: number; expected: number }>;
  };
}

const fixtures = JSON.parse(
  readFileSync(new URL('../../fixtures/stats/fixtures.json', import.meta.url), 'utf8'),
) as Fixtures;

/**
 * |actual − expected| within `rel` of |expected|, or within `abs`. Distribution tails (Φ, χ² survival) come from jstat
 * as 1 − cdf, good to about 1e-16 absolute: they are compared with abs = 1e-15. The sequences' p-values are closed
 * forms with full relative precision.
 */
function close(actual: number, expected: number, rel = 1e-9, abs = 1e-15): void {
  const tolerance = Math.max(abs, rel * Math.abs(expected));
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

const momentsOf = (values: readonly number[]) => values.reduce(addObservation, emptyMoments());

describe('moments against numpy', () => {
  for (const c of fixtures.moments) {
    it(`${c.name}: n, sums, mean and unbiased variance; merging halves gives the whole`, () => {
      const m = momentsOf(c.values);
      expect(m.n).toBe(c.expected.n);
      close(m.sum, c.expected.sum, 1e-12, 1e-15);
      close(m.sumSquares, c.expected.sumSquares, 1e-12, 1e-15);
      close(mean(m), c.expected.mean, 1e-12, 1e-15);
      close(sampleVariance(m), c.expected.variance, 1e-9, 1e-15);
      const merged = mergeMoments(momentsOf(c.values.slice(0, c.splitAt)), momentsOf(c.values.slice(c.splitAt)));
      expect(merged.n).toBe(m.n);
      close(merged.sum, m.sum, 1e-12, 1e-15);
      close(sampleVariance(merged), c.expected.variance, 1e-9, 1e-15);
    });
  }
});

describe('two-arm confidence sequences against the published formula and scipy', () => {
  for (const c of fixtures.twoSample) {
    it(c.name, () => {
      const e = c.expected;
      close(tuningRho(c.alpha, c.tuningSampleSize), e.rho, 1e-13);
      const d = absoluteDifference(c.baseline, c.candidate)!;
      close(d.estimate, e.estimate, 1e-9, 1e-13);
      close(d.variance, e.variance, 1e-8);
      expect(d.n).toBe(e.n);
      close(twoSidedHalfWidth(d, c.alpha, c.tuningSampleSize), e.twoSidedHalfWidth, 1e-8);
      const cs = confidenceSequence(d, c.alpha, c.tuningSampleSize);
      close(cs.lower, e.lower, 1e-8, 1e-12);
      close(cs.upper, e.upper, 1e-8, 1e-12);
      close(oneSidedHalfWidth(d, c.alpha, c.tuningSampleSize), e.oneSidedHalfWidth, 1e-8);
      close(upperBound(d, c.alpha, c.tuningSampleSize), e.oneSidedUpper, 1e-8, 1e-12);
      close(lowerBound(d, c.alpha, c.tuningSampleSize), e.oneSidedLower, 1e-8, 1e-12);
      // Closed form here, brentq inversion of the sequence in the fixture.
      close(alwaysValidPValue(d, c.alpha, c.tuningSampleSize), e.pValue, 1e-7, 1e-300);
      close(chanceToWin(d), e.chanceToWin, 1e-9, 1e-15);

      const r = relativeDifference(c.baseline, c.candidate)!;
      close(r.estimate, e.relative.estimate, 1e-8, 1e-12);
      close(r.variance, e.relative.variance, 1e-8);
      close(twoSidedHalfWidth(r, c.alpha, c.tuningSampleSize), e.relative.twoSidedHalfWidth, 1e-8);
      close(alwaysValidPValue(r, c.alpha, c.tuningSampleSize), e.relative.pValue, 1e-7, 1e-300);
    });
  }
});

describe('shadow pairs: the one-sample sequence and the win rate', () => {
  for (const c of fixtures.paired) {
    it(c.name, () => {
      const e = c.expected;
      let differences = emptyMoments();
      let tally: PairTally = { wins: 0, losses: 0, ties: 0 };
      c.candidate.forEach((value, i) => {
        differences = addObservation(differences, value - c.baseline[i]!);
        tally = tallyPair(tally, value, c.baseline[i]!);
      });
      const d = pairedDifference(differences)!;
      close(d.estimate, e.estimate, 1e-9, 1e-13);
      close(d.variance, e.variance, 1e-8);
      expect(d.n).toBe(e.n);
      const cs = confidenceSequence(d, c.alpha, c.tuningSampleSize);
      close(cs.halfWidth, e.twoSidedHalfWidth, 1e-8);
      close(cs.lower, e.lower, 1e-8, 1e-12);
      close(cs.upper, e.upper, 1e-8, 1e-12);
      close(oneSidedHalfWidth(d, c.alpha, c.tuningSampleSize), e.oneSidedHalfWidth, 1e-8);
      close(alwaysValidPValue(d, c.alpha, c.tuningSampleSize), e.pValue, 1e-7, 1e-300);
      if (e.chanceToWin !== null) close(chanceToWin(d), e.chanceToWin, 1e-9, 1e-15);
      expect(tally).toEqual({ wins: e.wins, losses: e.losses, ties: e.ties });
      close(winRate(tally), e.winRate, 1e-15);
    });
  }
});

describe('sample-ratio mismatch against scipy.stats.chisquare', () => {
  for (const c of fixtures.srm.pearson) {
    it(`${c.observed.join('/')} against ${c.shares.join(':')}`, () => {
      const result = pearsonChiSquare(c.observed, c.shares)!;
      close(result.chiSquare, c.expected.chiSquare, 1e-10, 1e-12);
      expect(result.degreesOfFreedom).toBe(c.expected.degreesOfFreedom);
      close(result.pValue, c.expected.pValue, 1e-7, 1e-15);
    });
  }
  for (const c of fixtures.srm.stratified) {
    it(`across ${c.periods.length} split period(s)`, () => {
      const result = stratifiedSampleRatioTest(c.periods)!;
      close(result.chiSquare, c.expected.chiSquare, 1e-10, 1e-12);
      close(result.pValue, c.expected.pValue, 1e-7, 1e-300);
      close(result.expectedCandidateShare, c.expected.expectedCandidateShare, 1e-12);
    });
  }
});

describe('distributions against scipy', () => {
  it('Φ, Φ⁻¹ and the chi-square tail', () => {
    for (const c of fixtures.distributions.normalCdf) close(normalCdf(c.x), c.expected, 1e-9, 1e-15);
    for (const c of fixtures.distributions.normalQuantile) close(normalQuantile(c.p), c.expected, 1e-9, 1e-12);
    for (const c of fixtures.distributions.chiSquareSurvival)
      close(chiSquareSurvival(c.x, c.df), c.expected, 1e-7, 1e-15);
  });
  it('the fixed-horizon sample size per arm', () => {
    for (const c of fixtures.distributions.fixedHorizonSampleSize)
      expect(fixedHorizonSampleSize(c.effect, c.sd, c.alpha, c.power)).toBe(c.expected);
  });
});
