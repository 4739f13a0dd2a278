import { experimentPolicy } from '../../lib/policy/experiment.ts';
import { defaultPolicy } from '../../lib/policy/policy.ts';
import type { ExperimentPolicy, TrafficSplit } from '../../lib/contracts/types.generated.ts';
import { absoluteDifference, confidenceSequence } from '../../lib/stats/confidence-sequence.ts';
import { addCompletion, addEvaluation, addUnit, type Side } from '../../services/experiment-judge/accumulate.pure.ts';
import { emptySufficientStatistics } from '../../services/experiment-judge/analysis.pure.ts';
import type { ExperimentView, JudgeAction, JudgeMemory } from '../../services/experiment-judge/decision.pure.ts';
import type { ExperimentRecord } from '../../services/experiment-judge/model.pure.ts';
import { evaluate } from '../../services/experiment-judge/evaluate.pure.ts';

/**
 * Simulated experiments for the judge's statistical tests (test/unit/judge/simulation.test.ts) and its benchmark
 * (bench/judge.ts): runs arrive one at a time, each a completion and an evaluation, and the judge's whole logic
 * (statistics and decision) runs after every event, as the service does.
 */

/** How one arm's runs are drawn. */
export interface ArmModel {
  scoreMean: number;
  scoreSd: number;
  failureRate: number;
  guardrailHitRate: number;
  costMean: number;
  costSd: number;
  latencyMean: number;
  latencySd: number;
}

export const typicalArm: ArmModel = {
  scoreMean: 0.7,
  scoreSd: 0.2,
  failureRate: 0.05,
  guardrailHitRate: 0.01,
  costMean: 0.004,
  costSd: 0.001,
  latencyMean: 1500,
  latencySd: 300,
};

/** A small seeded generator (mulberry32) with normal draws (Box–Muller): the same seed, the same experiment. */
export function seededRandom(seed: number): { uniform(): number; normal(mean: number, sd: number): number } {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  const normal = (mean: number, sd: number) => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return mean + sd * z;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

export interface SimulationOptions {
  /** Runs in the experiment (each brings two events: its completion, then its evaluation). */
  runs: number;
  baseline: ArmModel;
  candidate: ArmModel;
  policy: ExperimentPolicy;
  /** Event time between runs. */
  intervalMs: number;
  seed: number;
  riskTier?: 'low' | 'medium' | 'high';
  autoEligible?: boolean;
  /** Share of measured runs that go to the candidate; 0.5 by default. A different true share makes an SRM. */
  candidateShare?: number;
  /** The split the judge believes in force (its SRM reference); 50/50 by default. */
  split?: TrafficSplit;
  /** Stop at the judge's decision instead of tracking the statistics to the end (faster; the cs and naive fields then stop there too). */
  stopAtDecision?: boolean;
}

export interface SimulationResult {
  /** The judge's first decision that ends or hands over the experiment; 'none' if it only continued. */
  outcome: Exclude<JudgeAction, 'continue' | 'ramp'> | 'none';
  /** Total runs (both arms) when the judge took that decision. */
  decidedAtRuns: number | null;
  reasons: string[];
  /** Total runs at the first analysis where the primary confidence sequence excluded zero upwards (null: never). */
  csBetterAtRuns: number | null;
  csEverExcludedZero: boolean;
  /** A naive two-sided z-test on the primary at α, checked at the same moments: ever significant, ever "better". */
  naiveEverSignificant: boolean;
  naiveBetterAtRuns: number | null;
}

const clip = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * One experiment. The statistics keep being tracked to the end even after the judge has decided (the outcome is
 * frozen at its first terminal decision), so that "ever excluded zero" covers the whole horizon.
 */
export function simulateExperiment(options: SimulationOptions): SimulationResult {
  const rng = seededRandom(options.seed);
  const { policy } = options;
  const split = options.split ?? { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 };
  const share = options.candidateShare ?? 0.5;
  const start = Date.UTC(2026, 2, 1);
  const statistics = emptySufficientStatistics();
  let experiment: ExperimentView = {
    experimentId: `sim-${options.seed}`,
    status: 'running',
    mode: 'ab',
    riskTier: options.riskTier ?? 'low',
    autoEligible: options.autoEligible ?? true,
    startedAt: start,
    trafficSplit: split,
    rampSchedule: [],
    rampStepIndex: 0,
    approvalExpiresAt: null,
  };
  let memory: JudgeMemory = {
    primaryBetterSince: null,
    rampStepStartedAt: start,
    stepRuns: { baseline: 0, candidate: 0 },
    srmPaused: false,
  };
  const arms = [
    { arm: 'baseline' as const, versionId: 'v-baseline' },
    { arm: 'candidate' as const, versionId: 'v-candidate' },
  ];
  const z = 1.959963984540054;
  const result: SimulationResult = {
    outcome: 'none',
    decidedAtRuns: null,
    reasons: [],
    csBetterAtRuns: null,
    csEverExcludedZero: false,
    naiveEverSignificant: false,
    naiveBetterAtRuns: null,
  };

  const judge = (now: number, runs: number) => {
    if (result.outcome !== 'none') return;
    const { decision } = evaluate({ experiment, memory, policy, arms, statistics, now });
    memory = decision.memory;
    if (decision.action === 'continue' || decision.action === 'ramp') {
      if (decision.nextTrafficSplit)
        experiment = {
          ...experiment,
          trafficSplit: decision.nextTrafficSplit,
          rampStepIndex: decision.nextRampStepIndex ?? experiment.rampStepIndex,
        };
      return;
    }
    result.outcome = decision.action;
    result.decidedAtRuns = runs;
    result.reasons = decision.reasons.map((r) => r.code);
    experiment = { ...experiment, status: decision.status };
  };

  for (let i = 1; i <= options.runs && !(options.stopAtDecision && result.outcome !== 'none'); i++) {
    const now = start + i * options.intervalMs;
    const side: Side = rng.uniform() < share ? 'candidate' : 'baseline';
    const model = side === 'candidate' ? options.candidate : options.baseline;
    addUnit(statistics, side, 0, split);
    addCompletion(statistics, side, {
      failure: rng.uniform() < model.failureRate ? 1 : 0,
      guardrailHit: rng.uniform() < model.guardrailHitRate ? 1 : 0,
      costUsd: Math.max(0, rng.normal(model.costMean, model.costSd)),
      latencyMs: Math.max(0, rng.normal(model.latencyMean, model.latencySd)),
    });
    memory = { ...memory, stepRuns: { ...memory.stepRuns, [side]: memory.stepRuns[side] + 1 } };
    judge(now, i);
    const score = clip(rng.normal(model.scoreMean, model.scoreSd), 0, 1);
    addEvaluation(statistics, side, { score, passed: score >= 0.5 ? 1 : 0 });
    judge(now, i);

    // The primary's sequence and the naive z-test, at the same moment (after the evaluation).
    const d = absoluteDifference(statistics.baseline.score, statistics.candidate.score);
    if (d && d.variance > 0) {
      const cs = confidenceSequence(d, policy.alpha, policy.tuningSampleSize);
      if (cs.lower > 0 || cs.upper < 0) result.csEverExcludedZero = true;
      if (cs.lower > 0 && result.csBetterAtRuns === null) result.csBetterAtRuns = i;
      const zStat = d.estimate / Math.sqrt(d.variance);
      if (Math.abs(zStat) > z) result.naiveEverSignificant = true;
      if (zStat > z && result.naiveBetterAtRuns === null) result.naiveBetterAtRuns = i;
    }
  }
  return result;
}

/** The policy of the simulations: the default thresholds, but peeking as aggressively as the judge allows. */
export function simulationPolicy(overrides: Partial<ExperimentPolicy> = {}): ExperimentPolicy {
  const auto = { ...defaultPolicy, promotion: { ...defaultPolicy.promotion, autoPromoteLowRisk: true } };
  return {
    ...experimentPolicy(auto, 1, 'low'),
    minRunsPerArm: 100,
    minDurationMs: 0,
    maxDurationMs: 1e12,
    sustainedMs: 0,
    ...overrides,
  };
}

/** The binomial Monte Carlo standard error of a rate estimated from `runs` experiments. */
/** An A/B experiment as the judge holds it, running at 50/50 on one ramp step; the caller names its policy and start. */
export function experimentRecord(
  fields: Pick<ExperimentRecord, 'policy' | 'startedAt'> & Partial<ExperimentRecord>,
): ExperimentRecord {
  return {
    id: 'exp',
    agentId: 'agent',
    proposalId: 'p',
    sessionId: null,
    mode: 'ab',
    status: 'running',
    version: 1,
    salt: 'salt',
    trafficSplit: { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 },
    rampSchedule: [],
    rampStepIndex: 0,
    riskTier: 'low',
    autoEligible: true,
    baselineVersionId: 'vb',
    candidateVersionId: 'vc',
    riskReasons: [],
    summary: '',
    approvalExpiryMs: 72 * 3_600_000,
    pendingApproval: null,
    ...fields,
  };
}

export function monteCarloError(rate: number, runs: number): number {
  return Math.sqrt((Math.max(rate, 1 / runs) * (1 - Math.min(rate, 1 - 1 / runs))) / runs);
}
