// The experiment judge's statistical report, for bench/judge.ts: simulations only, no I/O.
import { absoluteDifference, confidenceSequence, fixedHorizonSampleSize, type Moments } from '../lib/stats/index.ts';
import {
  monteCarloError,
  seededRandom,
  simulateExperiment,
  simulationPolicy,
  typicalArm,
  type SimulationResult,
} from '../test/helpers/judge-simulation.ts';

export interface FalsePromotionReport {
  experiments: number;
  runsPerExperiment: number;
  eventsPerExperiment: number;
  alpha: number;
  /** The judge's full decision (promote or request approval) at any of its analyses. */
  judgePromoted: number;
  /** The primary's confidence sequence ever excluding zero (either side), and ever above it. */
  sequenceExcludedZero: number;
  sequenceAboveZero: number;
  /** A naive two-sided z-test at α on the primary, at the same moments: ever significant, ever "candidate better". */
  naiveSignificant: number;
  naiveBetter: number;
  judgeFailed: number;
  judgePaused: number;
  monteCarloErrorAtAlpha: number;
  seconds: number;
}

/** A/A experiments analysed after every event under the most aggressive policy the judge allows. */
export function falsePromotions(
  experiments: number,
  runs: number,
  onProgress: (done: number) => void = () => {},
): FalsePromotionReport {
  const started = performance.now();
  const policy = simulationPolicy();
  const results: SimulationResult[] = [];
  for (let i = 0; i < experiments; i++) {
    results.push(
      simulateExperiment({
        runs,
        baseline: typicalArm,
        candidate: typicalArm,
        policy,
        intervalMs: 60_000,
        seed: 1_000_000 + i,
      }),
    );
    if ((i + 1) % 100 === 0) onProgress(i + 1);
  }
  const rate = (pick: (r: SimulationResult) => boolean) => results.filter(pick).length / experiments;
  return {
    experiments,
    runsPerExperiment: runs,
    eventsPerExperiment: 2 * runs,
    alpha: policy.alpha,
    judgePromoted: rate((r) => r.outcome === 'promote' || r.outcome === 'request_approval'),
    sequenceExcludedZero: rate((r) => r.csEverExcludedZero),
    sequenceAboveZero: rate((r) => r.csBetterAtRuns !== null),
    naiveSignificant: rate((r) => r.naiveEverSignificant),
    naiveBetter: rate((r) => r.naiveBetterAtRuns !== null),
    judgeFailed: rate((r) => r.outcome === 'fail'),
    judgePaused: rate((r) => r.outcome === 'pause'),
    monteCarloErrorAtAlpha: monteCarloError(policy.alpha, experiments),
    seconds: (performance.now() - started) / 1000,
  };
}

export interface SampleSizeReport {
  effect: number;
  sd: number;
  alpha: number;
  tuningSampleSize: number;
  /** Total runs (both arms) of a fixed-horizon z-test at 80% power, and its power measured in the same simulation. */
  fixedHorizonTotal: number;
  fixedHorizonPower: number;
  experiments: number;
  /** Total runs at which the sequence first showed the candidate better (analysed after every run). */
  medianToDecision: number;
  quartiles: [number, number];
  /** Share of experiments decided within the cap (4 × the fixed-horizon size). */
  decidedWithinCap: number;
  ratio: number;
  seconds: number;
}

/**
 * Samples to decision at a true effect: normal scores (sd `sd`), the candidate's `effect` higher; each run goes to an
 * arm at random (50/50) and the sequence is checked after every run until its lower bound is above zero. Beside it,
 * the fixed-horizon sample size for 80% power at the same α, and that test's power measured on the same runs.
 */
export function samplesToDecision(
  experiments: number,
  effect: number,
  sd: number,
  alpha: number,
  tuningSampleSize: number,
): SampleSizeReport {
  const started = performance.now();
  const perArm = fixedHorizonSampleSize(effect, sd, alpha, 0.8);
  const fixedTotal = 2 * perArm;
  const cap = 4 * fixedTotal;
  const z = 1.959963984540054;
  const decided: number[] = [];
  let fixedSignificant = 0;
  for (let e = 0; e < experiments; e++) {
    const rng = seededRandom(2_000_000 + e);
    const arms: [Moments, Moments] = [
      { n: 0, sum: 0, sumSquares: 0 },
      { n: 0, sum: 0, sumSquares: 0 },
    ];
    let at: number | null = null;
    let fixedDone = false;
    for (let i = 1; i <= cap && (at === null || !fixedDone); i++) {
      const side = rng.uniform() < 0.5 ? 0 : 1;
      const x = rng.normal(0.6 + (side === 1 ? effect : 0), sd);
      const m = arms[side];
      m.n += 1;
      m.sum += x;
      m.sumSquares += x * x;
      const d = absoluteDifference(arms[0], arms[1]);
      if (!d) continue;
      if (at === null && confidenceSequence(d, alpha, tuningSampleSize).lower > 0) at = i;
      if (!fixedDone && i === fixedTotal) {
        fixedDone = true;
        if (d.estimate / Math.sqrt(d.variance) > z) fixedSignificant += 1;
      }
    }
    decided.push(at ?? Number.POSITIVE_INFINITY);
  }
  decided.sort((a, b) => a - b);
  const q = (p: number) => decided[Math.min(decided.length - 1, Math.floor(p * decided.length))]!;
  const median = q(0.5);
  return {
    effect,
    sd,
    alpha,
    tuningSampleSize,
    fixedHorizonTotal: fixedTotal,
    fixedHorizonPower: fixedSignificant / experiments,
    experiments,
    medianToDecision: median,
    quartiles: [q(0.25), q(0.75)],
    decidedWithinCap: decided.filter(Number.isFinite).length / experiments,
    ratio: median / fixedTotal,
    seconds: (performance.now() - started) / 1000,
  };
}
