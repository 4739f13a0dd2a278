import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  absoluteDifference,
  addObservation,
  alwaysValidPValue,
  chanceToWin,
  confidenceSequence,
  emptyMoments,
  lowerBound,
  mergeMoments,
  oneSidedHalfWidth,
  pairedDifference,
  pearsonChiSquare,
  relativeDifference,
  sampleVariance,
  sequentialSampleRatioTest,
  stratifiedSampleRatioTest,
  tuningRho,
  twoSidedHalfWidth,
  upperBound,
  withAgrestiCaffo,
  withPseudoPairs,
  winRate,
  type DifferenceEstimate,
} from '../../../lib/stats/index.ts';

const values = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 60 });
const level = fc.double({ min: 0.001, max: 0.3, noNaN: true });
const tuning = fc.integer({ min: 100, max: 100_000 });
const estimate = fc.record({
  estimate: fc.double({ min: -1, max: 1, noNaN: true }),
  variance: fc.double({ min: 1e-8, max: 1, noNaN: true }),
  n: fc.integer({ min: 4, max: 1_000_000 }),
});
const momentsOf = (xs: readonly number[]) => xs.reduce(addObservation, emptyMoments());

describe('moments', () => {
  it('merging is the same as adding the observations in any split', () => {
    fc.assert(
      fc.property(values, fc.nat(), (xs, cut) => {
        const at = cut % (xs.length + 1);
        const whole = momentsOf(xs);
        const merged = mergeMoments(momentsOf(xs.slice(0, at)), momentsOf(xs.slice(at)));
        expect(merged.n).toBe(whole.n);
        expect(merged.sum).toBeCloseTo(whole.sum, 10);
        expect(sampleVariance(merged)).toBeCloseTo(sampleVariance(whole), 10);
      }),
    );
  });
  it('variance is never negative, even for constant data that rounds below zero', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 2, max: 500 }), (x, n) => {
        expect(sampleVariance(momentsOf(Array.from({ length: n }, () => x)))).toBeGreaterThanOrEqual(0);
      }),
    );
  });
  it('fewer than two observations give no difference estimate', () => {
    const one = momentsOf([0.5]);
    const many = momentsOf([0.1, 0.9, 0.4]);
    expect(absoluteDifference(one, many)).toBeNull();
    expect(relativeDifference(many, one)).toBeNull();
    expect(pairedDifference(one)).toBeNull();
    expect(relativeDifference(momentsOf([0, 0]), many)).toBeNull();
  });
  it('the Agresti–Caffo and pseudo-pair adjustments keep 0/1 data from reading as certain', () => {
    const none = momentsOf(Array.from({ length: 500 }, () => 0));
    expect(sampleVariance(none)).toBe(0);
    expect(sampleVariance(withAgrestiCaffo(none))).toBeGreaterThan(0);
    expect(sampleVariance(withPseudoPairs(none))).toBeGreaterThan(0);
    expect(withPseudoPairs(none).sum).toBe(0);
  });
});

describe('confidence sequences', () => {
  it('are symmetric about the estimate and contain it; the one-sided bound is tighter than the two-sided', () => {
    fc.assert(
      fc.property(estimate, level, tuning, (d, alpha, nStar) => {
        const cs = confidenceSequence(d, alpha, nStar);
        expect(cs.lower).toBeLessThanOrEqual(d.estimate);
        expect(cs.upper).toBeGreaterThanOrEqual(d.estimate);
        expect(cs.upper - d.estimate).toBeCloseTo(d.estimate - cs.lower, 12);
        expect(oneSidedHalfWidth(d, alpha, nStar)).toBeLessThanOrEqual(cs.halfWidth * (1 + 1e-12));
        expect(upperBound(d, alpha, nStar)).toBeLessThanOrEqual(cs.upper + 1e-12);
        expect(lowerBound(d, alpha, nStar)).toBeGreaterThanOrEqual(cs.lower - 1e-12);
      }),
    );
  });
  it('get wider at a smaller α and, at fixed SE²·n, narrower with more data', () => {
    fc.assert(
      fc.property(estimate, tuning, (d, nStar) => {
        expect(twoSidedHalfWidth(d, 0.01, nStar)).toBeGreaterThan(twoSidedHalfWidth(d, 0.05, nStar));
        const s2 = d.variance * d.n;
        const more: DifferenceEstimate = { ...d, n: d.n * 2, variance: s2 / (d.n * 2) };
        expect(twoSidedHalfWidth(more, 0.05, nStar)).toBeLessThan(twoSidedHalfWidth(d, 0.05, nStar));
      }),
    );
  });
  it('are wider than the fixed-horizon interval, about 1.5 times at n = N* (the price of peeking)', () => {
    const d: DifferenceEstimate = { estimate: 0, variance: 1 / 5000, n: 5000 };
    const ratio = twoSidedHalfWidth(d, 0.05, 5000) / (1.959963984540054 * Math.sqrt(d.variance));
    expect(ratio).toBeGreaterThan(1.4);
    expect(ratio).toBeLessThan(1.7);
  });
  it('the always-valid p-value is at most α exactly when the α-level sequence excludes zero', () => {
    fc.assert(
      fc.property(estimate, level, tuning, (d, alpha, nStar) => {
        const cs = confidenceSequence(d, alpha, nStar);
        const excludes = cs.lower > 0 || cs.upper < 0;
        const p = alwaysValidPValue(d, alpha, nStar);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
        // Away from the boundary itself, where rounding decides.
        if (Math.abs(Math.abs(d.estimate) - cs.halfWidth) > 1e-9 * cs.halfWidth) expect(p <= alpha).toBe(excludes);
      }),
    );
  });
  it('refuses levels and tuning sizes outside their range', () => {
    expect(() => tuningRho(0, 5000)).toThrow(RangeError);
    expect(() => tuningRho(1, 5000)).toThrow(RangeError);
    expect(() => tuningRho(0.05, 0)).toThrow(RangeError);
  });
  it('a zero-variance difference is exact: p is 0 or 1', () => {
    expect(alwaysValidPValue({ estimate: 0.1, variance: 0, n: 10 }, 0.05, 5000)).toBe(0);
    expect(alwaysValidPValue({ estimate: 0, variance: 0, n: 10 }, 0.05, 5000)).toBe(1);
    expect(chanceToWin({ estimate: 0, variance: 0, n: 10 })).toBe(0.5);
  });
});

describe('chance to win and win rate', () => {
  it('chance to win is Φ(estimate/SE) and flips with the direction', () => {
    fc.assert(
      fc.property(estimate, (d) => {
        expect(chanceToWin(d) + chanceToWin(d, false)).toBeCloseTo(1, 12);
        if (d.estimate > 0) expect(chanceToWin(d)).toBeGreaterThanOrEqual(0.5);
        if (d.estimate > 3 * Math.sqrt(d.variance)) expect(chanceToWin(d)).toBeGreaterThan(0.99);
      }),
    );
  });
  it('win rate counts ties as half', () => {
    expect(winRate({ wins: 3, losses: 1, ties: 2 })).toBeCloseTo(4 / 6, 15);
    expect(winRate({ wins: 0, losses: 0, ties: 0 })).toBeNaN();
  });
});

describe('sample-ratio mismatch', () => {
  it('one split period gives exactly Pearson’s χ²', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 9999 }),
        (b, c, share) => {
          const pearson = pearsonChiSquare([b, c], [10_000 - share, share])!;
          const stratified = stratifiedSampleRatioTest([
            { baseline: b, candidate: c, baselineShare: 10_000 - share, candidateShare: share },
          ])!;
          expect(Math.abs(stratified.chiSquare - pearson.chiSquare)).toBeLessThanOrEqual(
            1e-9 * Math.max(1, pearson.chiSquare),
          );
        },
      ),
    );
  });
  it('the sequential version flags a mismatch exactly when its confidence sequence at α excludes the configured share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50_000 }),
        fc.integer({ min: 1, max: 50_000 }),
        fc.integer({ min: 500, max: 5000 }),
        (b, c, share) => {
          const period = { baseline: b, candidate: c, baselineShare: 10_000 - share, candidateShare: share };
          const result = sequentialSampleRatioTest([period], 0.001, 5000)!;
          const p = share / 10_000;
          const d = { estimate: (c - (b + c) * p) / (b + c), variance: (p * (1 - p)) / (b + c), n: b + c };
          // Its statistic is the χ² of the fixed-horizon test.
          expect(d.estimate ** 2 / d.variance).toBeCloseTo(result.chiSquare, 6);
          const cs = confidenceSequence(d, 0.001, 5000);
          const excludes = cs.lower > 0 || cs.upper < 0;
          if (Math.abs(Math.abs(d.estimate) - cs.halfWidth) > 1e-9 * cs.halfWidth)
            expect(result.alwaysValidPValue < 0.001).toBe(excludes);
          // Never more alarmed than the fixed-horizon test.
          expect(result.alwaysValidPValue).toBeGreaterThanOrEqual(result.pValue * (1 - 1e-9));
        },
      ),
    );
  });

  it('no units, no test; bad shares are refused', () => {
    expect(pearsonChiSquare([0, 0], [1, 1])).toBeNull();
    expect(stratifiedSampleRatioTest([])).toBeNull();
    expect(() => pearsonChiSquare([1, 2], [1, 0])).toThrow(RangeError);
    expect(() => pearsonChiSquare([1], [1])).toThrow(RangeError);
  });
});
