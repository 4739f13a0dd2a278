import { describe, expect, it } from 'vitest';
import type { RunCompleted, RunEvaluated } from '../../../lib/contracts/types.generated.ts';
import {
  applyEvaluation,
  applyRun,
  emptyWindow,
  summarise,
  topFailureCategories,
  trailingCostPerRun,
  windowUpdatedEvent,
} from '../../../services/signal-aggregator/window.pure.ts';

const minute = 60_000;
const settings = { lengthMs: 60 * minute, bucketMs: 5 * minute, graceMs: 5 * minute };
const t0 = Date.UTC(2026, 10, 24, 10, 0, 0);

function run(at: number, overrides: Partial<RunCompleted> = {}): RunCompleted {
  return {
    eventId: `e-${at}`,
    runId: `r-${at}`,
    agentId: 'a',
    agentVersionId: 'v1',
    experimentId: null,
    arm: null,
    status: 'succeeded',
    startedAt: new Date(at - 100),
    completedAt: new Date(at),
    latencyMs: 100,
    costUsd: 0.01,
    inputTokens: 1,
    outputTokens: 1,
    toolCalls: 2,
    toolErrors: 0,
    guardrailHits: [],
    userFeedback: null,
    unitId: null,
    ...overrides,
  };
}

function evaluation(at: number, overrides: Partial<RunEvaluated> = {}): RunEvaluated {
  return {
    eventId: `ev-${at}`,
    runId: `r-${at}`,
    agentId: 'a',
    agentVersionId: 'v1',
    experimentId: null,
    arm: null,
    evaluatorId: 'judge-1',
    score: 0.8,
    passed: true,
    failureCategories: [],
    evaluatedAt: new Date(at),
    ...overrides,
  };
}

describe('bucket and window arithmetic', () => {
  it('puts events at a bucket boundary into the bucket that starts there', () => {
    const w = emptyWindow();
    applyRun(w, run(t0 - 1), settings);
    applyRun(w, run(t0), settings);
    applyRun(w, run(t0 + 5 * minute - 1), settings);
    expect(w.buckets.map((b) => [b.start, b.runs])).toEqual([
      [t0 - 5 * minute, 1],
      [t0, 2],
    ]);
  });

  it('lets a bucket go once it ends at or before newest - length, and keeps one that still overlaps', () => {
    const w = emptyWindow();
    applyRun(w, run(t0), settings);
    applyRun(w, run(t0 + 65 * minute - 1), settings);
    expect(w.buckets.map((b) => b.start)).toEqual([t0, t0 + 60 * minute]);
    applyRun(w, run(t0 + 65 * minute), settings);
    expect(w.buckets.map((b) => b.start)).toEqual([t0 + 60 * minute, t0 + 65 * minute]);
    expect(summarise(w, settings).runCount).toBe(2);
  });

  it('puts an out-of-order event within the grace period into its own bucket', () => {
    const w = emptyWindow();
    applyRun(w, run(t0 + 20 * minute), settings);
    expect(applyRun(w, run(t0 + 16 * minute), settings)).toBe('counted');
    expect(w.buckets.map((b) => [b.start, b.runs])).toEqual([
      [t0 + 15 * minute, 1],
      [t0 + 20 * minute, 1],
    ]);
    expect(w.newestEventTime).toBe(t0 + 20 * minute);
  });

  it('drops an event more than the grace period behind the newest, and counts one exactly at the edge', () => {
    const w = emptyWindow();
    applyRun(w, run(t0 + 30 * minute), settings);
    expect(applyRun(w, run(t0 + 25 * minute), settings)).toBe('counted');
    expect(applyRun(w, run(t0 + 25 * minute - 1), settings)).toBe('late');
    expect(applyEvaluation(w, evaluation(t0), settings)).toBe('late');
    expect(summarise(w, settings).runCount).toBe(2);
  });

  it('computes the figures over the window', () => {
    const w = emptyWindow();
    applyRun(
      w,
      run(t0, {
        status: 'failed',
        guardrailHits: [{ rule: 'pii', severity: 'high' }],
        userFeedback: -1,
        costUsd: 0.03,
        toolErrors: 1,
      }),
      settings,
    );
    applyRun(w, run(t0 + 1, { userFeedback: 1, costUsd: 0.01, latencyMs: 1000 }), settings);
    applyRun(w, run(t0 + 2, { status: 'timed_out' }), settings);
    applyRun(w, run(t0 + 3), settings);
    applyEvaluation(
      w,
      evaluation(t0 + 4, {
        score: 0.5,
        passed: false,
        failureCategories: ['tool_misuse', 'tool_misuse', 'hallucination'],
      }),
      settings,
    );
    applyEvaluation(w, evaluation(t0 + 5, { runId: 'r-x', score: 0.9, failureCategories: ['tool_misuse'] }), settings);
    const f = summarise(w, settings);
    expect(f).toMatchObject({
      runCount: 4,
      evaluatedCount: 2,
      failureRate: 0.5,
      guardrailHitRate: 0.25,
      negativeFeedbackRate: 0.5,
      passRate: 0.5,
    });
    expect(f.meanScore).toBeCloseTo(0.7, 12);
    expect(f.meanCostUsd).toBeCloseTo(0.015, 12);
    expect(f.toolErrorRate).toBeCloseTo(1 / 8, 12);
    // Latencies 100, 1000, 100, 100 ms: rank 0.95 × 3 falls on the third smallest.
    expect(Math.abs(f.p50LatencyMs! - 100) / 100).toBeLessThan(0.02);
    expect(Math.abs(f.p95LatencyMs! - 100) / 100).toBeLessThan(0.02);
    expect(f.windowEnd.getTime() - f.windowStart.getTime()).toBe(60 * minute);
    expect(topFailureCategories(w)).toEqual([
      { category: 'tool_misuse', count: 2, share: 1, exampleRunIds: [`r-${t0 + 4}`, 'r-x'] },
      { category: 'hallucination', count: 1, share: 0.5, exampleRunIds: [`r-${t0 + 4}`] },
    ]);
  });

  it('has no rates for an empty window, and keeps at most three example runs per category', () => {
    expect(summarise(emptyWindow(), settings)).toMatchObject({
      runCount: 0,
      failureRate: null,
      meanScore: null,
      p95LatencyMs: null,
    });
    const w = emptyWindow();
    for (let i = 0; i < 10; i++) applyEvaluation(w, evaluation(t0 + i, { failureCategories: ['x'] }), settings);
    expect(topFailureCategories(w)[0]).toMatchObject({
      count: 10,
      exampleRunIds: [`r-${t0}`, `r-${t0 + 1}`, `r-${t0 + 2}`],
    });
  });

  it('measures cost against the 24 hours before the window', () => {
    const w = emptyWindow();
    expect(trailingCostPerRun(w, settings)).toBeNull();
    for (let h = 1; h <= 5; h++) applyRun(w, run(t0 + h * 3_600_000, { costUsd: 0.01 }), settings);
    applyRun(w, run(t0 + 5 * 3_600_000 + 1, { costUsd: 0.05 }), settings);
    // The window is the last hour: the runs of hours 1 to 4 are the trailing level.
    expect(trailingCostPerRun(w, settings)).toBeCloseTo(0.01, 12);
    expect(w.runsSinceSession).toBe(6);
  });
});

describe('the window announced (learning.agent.window.v1)', () => {
  it('carries the summary and the failure categories, under an id that changes with what it counts', () => {
    const w = emptyWindow();
    applyRun(w, run(t0), settings);
    applyEvaluation(w, evaluation(t0, { passed: false, failureCategories: ['wrong_tool'] }), settings);
    const at = new Date(t0 + minute);
    const event = windowUpdatedEvent('a', w, settings, at);
    expect(event).toEqual({
      eventId: `a:window:${t0}:1:1`,
      agentId: 'a',
      agentVersionId: 'v1',
      updatedAt: at,
      window: summarise(w, settings),
      topFailureCategories: topFailureCategories(w),
    });
    expect(event.topFailureCategories.map((c) => c.category)).toEqual(['wrong_tool']);
    expect(windowUpdatedEvent('a', w, settings, new Date(t0 + 2 * minute)).eventId).toBe(event.eventId);
    applyRun(w, run(t0 + 1), settings);
    expect(windowUpdatedEvent('a', w, settings, at).eventId).toBe(`a:window:${t0 + 1}:2:1`);
    expect(windowUpdatedEvent('b', emptyWindow(), settings, at)).toMatchObject({
      eventId: 'b:window:0:0:0',
      agentVersionId: null,
      window: { runCount: 0, meanScore: null },
      topFailureCategories: [],
    });
  });
});
