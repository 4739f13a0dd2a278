import type {
  AgentWindowUpdated,
  ArmRunCounts,
  ExperimentPolicy,
  ExperimentStatistics,
  ExperimentVerdict,
  WindowSummary,
} from '../../../lib/contracts/types.generated.ts';

/**
 * The control plane's read models as plain data: what one event makes of a row. The projection (projection.ts) writes
 * what these return; replaying the same events in the same order gives the same rows.
 */

/** The topics the read models are built from. */
export const readModelTopics = ['learning.experiment.verdict.v1', 'learning.agent.window.v1'] as const;

/**
 * A verdict's number within its experiment: the event's `sequence`, or for a verdict written before verdicts carried
 * it, the number its event id ends with (`<experimentId>:verdict:<n>`, experiment-judge/events.pure.ts).
 */
export function verdictSequence(verdict: Pick<ExperimentVerdict, 'sequence' | 'eventId'>): number | null {
  if (verdict.sequence > 0) return verdict.sequence;
  const match = /:verdict:(\d+)$/.exec(verdict.eventId);
  return match ? Number(match[1]) : null;
}

export interface VerdictRecord {
  experimentId: string;
  sequence: number;
  eventId: string;
  agentId: string;
  experimentVersion: number;
  decidedAt: Date;
  verdict: ExperimentVerdict;
}

export interface ExperimentReadModel {
  experimentId: string;
  agentId: string;
  verdictSequence: number;
  decidedAt: Date;
  decision: { action: string; reasons: Array<{ code: string; detail: string | null }> };
  statistics: ExperimentStatistics;
  runCounts: ArmRunCounts;
  policy: ExperimentPolicy;
}

/** The verdict as the history keeps it; null for one without a number (nothing to order it by). */
export function verdictRecord(verdict: ExperimentVerdict): VerdictRecord | null {
  const sequence = verdictSequence(verdict);
  if (sequence === null) return null;
  return {
    experimentId: verdict.experimentId,
    sequence,
    eventId: verdict.eventId,
    agentId: verdict.agentId,
    experimentVersion: verdict.experimentVersion,
    decidedAt: verdict.decidedAt,
    verdict,
  };
}

/** Run counts from a verdict written before verdicts carried them: each arm's completed runs in its statistics. */
function runCountsOfStatistics(statistics: ExperimentStatistics): ArmRunCounts {
  const counts: ArmRunCounts = { baseline: 0, candidate: 0, shadow: 0 };
  for (const arm of statistics.arms) counts[arm.arm] = arm.failure.n;
  return counts;
}

/**
 * The experiment after a verdict: the later verdict wins (by sequence), so that a verdict read again or out of order
 * never takes the view back. Returns null when the verdict changes nothing.
 */
export function foldVerdict(
  current: Pick<ExperimentReadModel, 'verdictSequence'> | undefined,
  record: VerdictRecord,
): ExperimentReadModel | null {
  if (current && current.verdictSequence >= record.sequence) return null;
  const { verdict } = record;
  return {
    experimentId: record.experimentId,
    agentId: record.agentId,
    verdictSequence: record.sequence,
    decidedAt: record.decidedAt,
    decision: {
      action: verdict.decision,
      reasons: verdict.reasons.map((r) => ({ code: r.code, detail: r.detail ?? null })),
    },
    statistics: verdict.statistics,
    runCounts: verdict.runCounts ?? runCountsOfStatistics(verdict.statistics),
    policy: verdict.policy,
  };
}

export interface AgentWindowReadModel {
  agentId: string;
  agentVersionId: string | null;
  updatedAt: Date;
  window: WindowSummary;
  topFailureCategories: AgentWindowUpdated['topFailureCategories'];
}

/** The agent's window after an announcement: the newer one wins (the topic is compacted, so it may be all there is). */
export function foldWindow(
  current: Pick<AgentWindowReadModel, 'updatedAt'> | undefined,
  event: AgentWindowUpdated,
): AgentWindowReadModel | null {
  if (current && current.updatedAt.getTime() > event.updatedAt.getTime()) return null;
  return {
    agentId: event.agentId,
    agentVersionId: event.agentVersionId,
    updatedAt: event.updatedAt,
    window: event.window,
    topFailureCategories: event.topFailureCategories,
  };
}

/**
 * The window of an agent the aggregator has not announced: no runs, every rate null, the window ending at time 0 (as
 * the aggregator summarises an empty window).
 */
export function emptyWindowSummary(lengthMs: number): WindowSummary {
  return {
    windowStart: new Date(-lengthMs),
    windowEnd: new Date(0),
    runCount: 0,
    evaluatedCount: 0,
    meanScore: null,
    passRate: null,
    failureRate: null,
    guardrailHitRate: null,
    meanCostUsd: null,
    p50LatencyMs: null,
    p95LatencyMs: null,
    toolErrorRate: null,
    negativeFeedbackRate: null,
  };
}

/** A window summary as jsonb holds it: its times as ISO strings. */
export type StoredWindowSummary = Omit<WindowSummary, 'windowStart' | 'windowEnd'> & {
  windowStart: string;
  windowEnd: string;
};

/** The summary read back from the read model, its times as Dates again (what the event's Avro type wants). */
export function storedWindowSummary(stored: StoredWindowSummary): WindowSummary {
  return { ...stored, windowStart: new Date(stored.windowStart), windowEnd: new Date(stored.windowEnd) };
}
