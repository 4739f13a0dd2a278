import type {
  AgentWindowUpdated,
  FailureCategorySummary,
  RunCompleted,
  RunEvaluated,
  WindowSummary,
} from '../../lib/contracts/types.generated.ts';
import { addToSketch, emptySketch, mergeSketches, quantile, type LatencySketch } from './sketch.pure.ts';

/** One bucket of an agent's window: sums, so that buckets add up and expire whole. */
export interface Bucket {
  /** Event time (ms) the bucket starts at: a multiple of the bucket length. */
  start: number;
  runs: number;
  failures: number;
  guardrailRuns: number;
  feedback: number;
  negativeFeedback: number;
  costUsd: number;
  toolCalls: number;
  toolErrors: number;
  latency: LatencySketch;
  evaluations: number;
  scoreSum: number;
  passed: number;
  categories: Record<string, { count: number; examples: string[] }>;
}

/** Runs and cost per event-time hour, for the trailing 24-hour cost level. */
export interface CostHour {
  start: number;
  runs: number;
  costUsd: number;
}

/** Everything the aggregator keeps about one agent: plain data, stored in Postgres between batches. */
export interface AgentWindow {
  /** The version of the newest run seen: the live version the window measures. */
  agentVersionId: string | null;
  newestEventTime: number | null;
  buckets: Bucket[];
  costHours: CostHour[];
  /** Runs counted since the agent's last session opened (the scheduled backstop needs minRuns of them). */
  runsSinceSession: number;
  /** Event time of the earliest of those runs: a slot covers an agent only if its runs began before the slot. */
  firstRunSinceSession: number | null;
  /** Wall-clock time of the last session this aggregator opened for the agent (cooldown). */
  lastSessionAt: number | null;
}

export interface WindowSettings {
  lengthMs: number;
  bucketMs: number;
  graceMs: number;
}

const hour = 3_600_000;
const day = 24 * hour;
/** Example runs kept per category and bucket: enough to look at, bounded whatever the volume. */
export const maxExamples = 3;

export function emptyWindow(): AgentWindow {
  return {
    agentVersionId: null,
    newestEventTime: null,
    buckets: [],
    costHours: [],
    runsSinceSession: 0,
    firstRunSinceSession: null,
    lastSessionAt: null,
  };
}

export type Placement = 'counted' | 'late';

/** An event older than the grace period behind the agent's newest event time is late: counted on a metric, dropped. */
export function isLate(window: AgentWindow, eventTime: number, settings: WindowSettings): boolean {
  return window.newestEventTime !== null && eventTime < window.newestEventTime - settings.graceMs;
}

function bucketFor(window: AgentWindow, eventTime: number, settings: WindowSettings): Bucket {
  const start = Math.floor(eventTime / settings.bucketMs) * settings.bucketMs;
  let index = window.buckets.findIndex((b) => b.start >= start);
  if (index !== -1 && window.buckets[index]!.start === start) return window.buckets[index]!;
  const bucket: Bucket = {
    start,
    runs: 0,
    failures: 0,
    guardrailRuns: 0,
    feedback: 0,
    negativeFeedback: 0,
    costUsd: 0,
    toolCalls: 0,
    toolErrors: 0,
    latency: emptySketch(),
    evaluations: 0,
    scoreSum: 0,
    passed: 0,
    categories: {},
  };
  if (index === -1) index = window.buckets.length;
  window.buckets.splice(index, 0, bucket);
  return bucket;
}

/** Moves the window's end forward and lets buckets and cost hours that fell out of it go. */
function advance(window: AgentWindow, eventTime: number, settings: WindowSettings): void {
  if (window.newestEventTime !== null && eventTime <= window.newestEventTime) return;
  window.newestEventTime = eventTime;
  const windowStart = eventTime - settings.lengthMs;
  window.buckets = window.buckets.filter((b) => b.start + settings.bucketMs > windowStart);
  window.costHours = window.costHours.filter((h) => h.start + hour > eventTime - day - settings.lengthMs);
}

export function applyRun(window: AgentWindow, run: RunCompleted, settings: WindowSettings): Placement {
  const t = run.completedAt.getTime();
  if (isLate(window, t, settings)) return 'late';
  advance(window, t, settings);
  if (t === window.newestEventTime) window.agentVersionId = run.agentVersionId;
  const bucket = bucketFor(window, t, settings);
  bucket.runs += 1;
  if (run.status !== 'succeeded') bucket.failures += 1;
  if (run.guardrailHits.length > 0) bucket.guardrailRuns += 1;
  if (run.userFeedback !== null) {
    bucket.feedback += 1;
    if (run.userFeedback < 0) bucket.negativeFeedback += 1;
  }
  bucket.costUsd += run.costUsd;
  bucket.toolCalls += run.toolCalls;
  bucket.toolErrors += run.toolErrors;
  addToSketch(bucket.latency, run.latencyMs);
  const hourStart = Math.floor(t / hour) * hour;
  let costHour = window.costHours.find((h) => h.start === hourStart);
  if (!costHour) {
    costHour = { start: hourStart, runs: 0, costUsd: 0 };
    window.costHours.push(costHour);
    window.costHours.sort((a, b) => a.start - b.start);
  }
  costHour.runs += 1;
  costHour.costUsd += run.costUsd;
  window.runsSinceSession += 1;
  window.firstRunSinceSession = Math.min(window.firstRunSinceSession ?? t, t);
  return 'counted';
}

export function applyEvaluation(window: AgentWindow, evaluation: RunEvaluated, settings: WindowSettings): Placement {
  const t = evaluation.evaluatedAt.getTime();
  if (isLate(window, t, settings)) return 'late';
  advance(window, t, settings);
  const bucket = bucketFor(window, t, settings);
  bucket.evaluations += 1;
  bucket.scoreSum += evaluation.score;
  if (evaluation.passed) bucket.passed += 1;
  for (const category of new Set(evaluation.failureCategories)) {
    const entry = (bucket.categories[category] ??= { count: 0, examples: [] });
    entry.count += 1;
    if (entry.examples.length < maxExamples) entry.examples.push(evaluation.runId);
  }
  return 'counted';
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/** The window's figures: every bucket from (newest event time - length) to the newest event time. */
export function summarise(window: AgentWindow, settings: WindowSettings): WindowSummary {
  const end = window.newestEventTime ?? 0;
  const sum = (pick: (b: Bucket) => number) => window.buckets.reduce((s, b) => s + pick(b), 0);
  const latency = emptySketch();
  for (const b of window.buckets) mergeSketches(latency, b.latency);
  const runs = sum((b) => b.runs);
  const evaluations = sum((b) => b.evaluations);
  return {
    windowStart: new Date(end - settings.lengthMs),
    windowEnd: new Date(end),
    runCount: runs,
    evaluatedCount: evaluations,
    meanScore: ratio(
      sum((b) => b.scoreSum),
      evaluations,
    ),
    passRate: ratio(
      sum((b) => b.passed),
      evaluations,
    ),
    failureRate: ratio(
      sum((b) => b.failures),
      runs,
    ),
    guardrailHitRate: ratio(
      sum((b) => b.guardrailRuns),
      runs,
    ),
    meanCostUsd: ratio(
      sum((b) => b.costUsd),
      runs,
    ),
    p50LatencyMs: quantile(latency, 0.5),
    p95LatencyMs: quantile(latency, 0.95),
    toolErrorRate: ratio(
      sum((b) => b.toolErrors),
      sum((b) => b.toolCalls),
    ),
    negativeFeedbackRate: ratio(
      sum((b) => b.negativeFeedback),
      sum((b) => b.feedback),
    ),
  };
}

/** Cost per run over the 24 hours before the window: the level a cost increase is measured against. */
export function trailingCostPerRun(window: AgentWindow, settings: WindowSettings): number | null {
  if (window.newestEventTime === null) return null;
  const windowStart = window.newestEventTime - settings.lengthMs;
  const before = window.costHours.filter((h) => h.start + hour <= windowStart && h.start >= windowStart - day);
  return ratio(
    before.reduce((s, h) => s + h.costUsd, 0),
    before.reduce((s, h) => s + h.runs, 0),
  );
}

/** The most frequent failure categories in the window, with a few example runs each. */
export function topFailureCategories(window: AgentWindow, limit = 5): FailureCategorySummary[] {
  const merged = new Map<string, { count: number; examples: string[] }>();
  for (const bucket of window.buckets) {
    for (const [category, { count, examples }] of Object.entries(bucket.categories)) {
      const entry = merged.get(category) ?? { count: 0, examples: [] };
      entry.count += count;
      for (const runId of examples)
        if (entry.examples.length < maxExamples && !entry.examples.includes(runId)) entry.examples.push(runId);
      merged.set(category, entry);
    }
  }
  const evaluations = window.buckets.reduce((s, b) => s + b.evaluations, 0);
  return [...merged]
    .sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b))
    .slice(0, limit)
    .map(([category, { count, examples }]) => ({
      category,
      count,
      share: evaluations > 0 ? count / evaluations : 0,
      exampleRunIds: examples,
    }));
}

/**
 * learning.agent.window.v1: the window as a reader needs it (the control plane, for a session started by hand). Its id
 * is its content's, so that an unchanged window announced twice counts once.
 */
export function windowUpdatedEvent(
  agentId: string,
  window: AgentWindow,
  settings: WindowSettings,
  at: Date,
): AgentWindowUpdated {
  const figures = summarise(window, settings);
  return {
    eventId: `${agentId}:window:${window.newestEventTime ?? 0}:${figures.runCount}:${figures.evaluatedCount}`,
    agentId,
    agentVersionId: window.agentVersionId,
    updatedAt: at,
    window: figures,
    topFailureCategories: topFailureCategories(window),
  };
}
