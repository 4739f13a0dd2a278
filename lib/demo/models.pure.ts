import type { GuardrailHit, RunStatus } from '../contracts/types.generated.ts';

/**
 * The simulator's model of an agent version's quality (docs/demo.md): what one run of it costs, how long it takes,
 * how it fails and how an evaluator scores it. Pure and seeded, so that a run of the simulator can be repeated.
 */
export interface VersionQuality {
  scoreMean: number;
  scoreSd: number;
  /** Share of runs that end `failed`. */
  failureRate: number;
  /** Share of runs a guardrail rule fires on. */
  guardrailHitRate: number;
  costMeanUsd: number;
  latencyMeanMs: number;
  /** Share of runs the user rates at all, and of those the share rated -1. */
  feedbackRate: number;
  negativeFeedbackShare: number;
  /** Failure categories an evaluator gives a run that does not pass, by weight. */
  failureCategories: Record<string, number>;
}

/** A version that degrades: from `startMs` (since the simulation began) it moves to `degraded` over `rampMs`. */
export interface Drift {
  startMs: number;
  rampMs: number;
  /** The failure category the degradation shows as: what a playbook rule can fix. */
  category: string;
  degraded: Omit<VersionQuality, 'failureCategories'>;
}

/** A proposed version, described by what it changes of the live one. */
export interface VersionChange {
  /** The playbook fix for this failure category: the drift is undone. */
  fixesCategory?: string;
  /** A different model: better answers, at a higher price. */
  modelChange?: boolean;
}

export const healthyQuality: VersionQuality = {
  scoreMean: 0.78,
  scoreSd: 0.12,
  failureRate: 0.04,
  guardrailHitRate: 0.01,
  costMeanUsd: 0.004,
  latencyMeanMs: 1200,
  feedbackRate: 0.3,
  negativeFeedbackShare: 0.04,
  failureCategories: { off_topic: 1 },
};

/** Past every default threshold of lib/policy (score, failure, guardrail and feedback rates). */
export const degradedQuality: Drift['degraded'] = {
  scoreMean: 0.45,
  scoreSd: 0.15,
  failureRate: 0.3,
  guardrailHitRate: 0.12,
  costMeanUsd: 0.0042,
  latencyMeanMs: 1500,
  feedbackRate: 0.3,
  negativeFeedbackShare: 0.6,
};

const lerp = (a: number, b: number, f: number) => a + (b - a) * f;

/** The version's quality `elapsedMs` into the simulation: the healthy figures, or partway to the degraded ones. */
export function qualityAt(base: VersionQuality, drift: Drift | null, elapsedMs: number): VersionQuality {
  if (drift === null || elapsedMs < drift.startMs) return base;
  const f = drift.rampMs <= 0 ? 1 : Math.min(1, (elapsedMs - drift.startMs) / drift.rampMs);
  const d = drift.degraded;
  return {
    scoreMean: lerp(base.scoreMean, d.scoreMean, f),
    scoreSd: lerp(base.scoreSd, d.scoreSd, f),
    failureRate: lerp(base.failureRate, d.failureRate, f),
    guardrailHitRate: lerp(base.guardrailHitRate, d.guardrailHitRate, f),
    costMeanUsd: lerp(base.costMeanUsd, d.costMeanUsd, f),
    latencyMeanMs: lerp(base.latencyMeanMs, d.latencyMeanMs, f),
    feedbackRate: lerp(base.feedbackRate, d.feedbackRate, f),
    negativeFeedbackShare: lerp(base.negativeFeedbackShare, d.negativeFeedbackShare, f),
    // The drift's category dominates the failures as it takes hold.
    failureCategories: { ...base.failureCategories, [drift.category]: 10 * f },
  };
}

/** A proposed version's quality follows from its change: a fix for the drift's category undoes it and does a little
 * better than the healthy version; a model change answers better and costs a quarter more per run. */
export function proposedQuality(base: VersionQuality, change: VersionChange): VersionQuality {
  let q = { ...base, failureCategories: { ...base.failureCategories } };
  if (change.fixesCategory !== undefined) {
    q = { ...q, scoreMean: Math.min(0.95, base.scoreMean + 0.06), failureRate: base.failureRate / 2 };
    delete q.failureCategories[change.fixesCategory];
  }
  if (change.modelChange)
    q = { ...q, scoreMean: Math.min(0.95, q.scoreMean + 0.04), costMeanUsd: q.costMeanUsd * 1.25 };
  return q;
}

export interface Random {
  uniform(): number;
  normal(mean: number, sd: number): number;
}

/** mulberry32 with Box–Muller normals: the same seed, the same runs. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (mean: number, sd: number) => {
    let u = 0;
    while (u === 0) u = uniform();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}

/** One simulated run: what the runtime reports of it, and what its evaluator says. */
export interface SimulatedRun {
  status: RunStatus;
  costUsd: number;
  latencyMs: number;
  toolCalls: number;
  toolErrors: number;
  guardrailHits: GuardrailHit[];
  userFeedback: -1 | 0 | 1 | null;
  evaluation: { score: number; passed: boolean; failureCategories: string[] };
}

function pick(random: Random, weights: Record<string, number>): string | null {
  const entries = Object.entries(weights).filter(([, w]) => w > 0);
  const total = entries.reduce((s, [, w]) => s + w, 0);
  if (total === 0) return null;
  let r = random.uniform() * total;
  for (const [name, w] of entries) {
    r -= w;
    if (r < 0) return name;
  }
  return entries.at(-1)![0];
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

export function simulateRun(random: Random, q: VersionQuality): SimulatedRun {
  const failed = random.uniform() < q.failureRate;
  const score = failed ? 0 : clamp(random.normal(q.scoreMean, q.scoreSd), 0, 1);
  const passed = !failed && score >= 0.5;
  const category = passed ? null : pick(random, q.failureCategories);
  const toolCalls = 1 + Math.floor(random.uniform() * 4);
  const rated = random.uniform() < q.feedbackRate;
  return {
    status: failed ? 'failed' : 'succeeded',
    costUsd: Math.max(0, random.normal(q.costMeanUsd, q.costMeanUsd / 5)),
    latencyMs: Math.round(Math.max(50, random.normal(q.latencyMeanMs, q.latencyMeanMs / 4))),
    toolCalls,
    toolErrors: failed ? 1 : 0,
    guardrailHits: random.uniform() < q.guardrailHitRate ? [{ rule: 'pii-output', severity: 'high' }] : [],
    userFeedback: rated ? (random.uniform() < q.negativeFeedbackShare ? -1 : 1) : null,
    evaluation: { score, passed, failureCategories: category === null ? [] : [category] },
  };
}
