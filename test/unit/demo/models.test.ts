import { describe, expect, it } from 'vitest';
import type { RunCompleted, RunEvaluated } from '../../../lib/contracts/types.generated.ts';
import {
  type Drift,
  degradedQuality,
  healthyQuality,
  proposedQuality,
  qualityAt,
  seededRandom,
  simulateRun,
  type VersionQuality,
} from '../../../lib/demo/models.pure.ts';
import { defaultPolicy } from '../../../lib/policy/policy.ts';
import { crossedThresholds } from '../../../services/signal-aggregator/thresholds.pure.ts';
import {
  applyEvaluation,
  applyRun,
  emptyWindow,
  summarise,
  trailingCostPerRun,
} from '../../../services/signal-aggregator/window.pure.ts';

const drift: Drift = { startMs: 0, rampMs: 60_000, category: 'stale_order_status', degraded: degradedQuality };
const settings = defaultPolicy.window;

/** The aggregator's own window, fed `n` simulated runs of the version as it is `elapsedMs` into the simulation. */
function windowOf(quality: (elapsedMs: number) => VersionQuality, seed: number, n = 400) {
  const random = seededRandom(seed);
  const window = emptyWindow();
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < n; i++) {
    const elapsedMs = (i * settings.lengthMs) / n;
    const at = new Date(start + elapsedMs);
    const run = simulateRun(random, quality(elapsedMs));
    const completed: RunCompleted = {
      eventId: `e-${i}`,
      runId: `r-${i}`,
      agentId: 'a',
      agentVersionId: 'v',
      experimentId: null,
      arm: null,
      status: run.status,
      startedAt: new Date(at.getTime() - run.latencyMs),
      completedAt: at,
      latencyMs: run.latencyMs,
      costUsd: run.costUsd,
      inputTokens: 0,
      outputTokens: 0,
      toolCalls: run.toolCalls,
      toolErrors: run.toolErrors,
      guardrailHits: run.guardrailHits,
      userFeedback: run.userFeedback,
      unitId: null,
    };
    const evaluated: RunEvaluated = {
      eventId: `x-${i}`,
      runId: `r-${i}`,
      agentId: 'a',
      agentVersionId: 'v',
      experimentId: null,
      arm: null,
      evaluatorId: 'sim',
      ...run.evaluation,
      evaluatedAt: at,
    };
    applyRun(window, completed, settings);
    applyEvaluation(window, evaluated, settings);
  }
  return window;
}

const crossed = (window: ReturnType<typeof windowOf>) =>
  crossedThresholds(summarise(window, settings), trailingCostPerRun(window, settings), defaultPolicy.trigger).map(
    (c) => c.metric,
  );

describe('the simulator version models', () => {
  it('the degrading version trips the default thresholds; the healthy one trips none', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      expect(crossed(windowOf(() => healthyQuality, seed)), `seed ${seed}`).toEqual([]);
      const degrading = crossed(windowOf((t) => qualityAt(healthyQuality, drift, t), seed));
      expect(degrading, `seed ${seed}`).toEqual(
        expect.arrayContaining(['failure_rate', 'score', 'guardrail_hit_rate', 'negative_feedback_rate']),
      );
    }
  });

  it("the degradation shows as the drift's failure category, and the playbook fix for it removes it", () => {
    const degraded = qualityAt(healthyQuality, drift, 60_000);
    expect(degraded.failureRate).toBe(degradedQuality.failureRate);
    const random = seededRandom(7);
    const categories = Array.from({ length: 500 }, () => simulateRun(random, degraded).evaluation.failureCategories);
    expect(categories.flat().filter((c) => c === 'stale_order_status').length).toBeGreaterThan(100);
    const fixed = proposedQuality(healthyQuality, { fixesCategory: 'stale_order_status' });
    expect(fixed.scoreMean).toBeGreaterThan(healthyQuality.scoreMean);
    expect(fixed.failureRate).toBeLessThan(healthyQuality.failureRate);
    expect(crossed(windowOf(() => fixed, 5))).toEqual([]);
  });

  it('drift holds off before its start and ramps linearly; a model change costs a quarter more', () => {
    expect(qualityAt(healthyQuality, { ...drift, startMs: 10_000 }, 5_000)).toBe(healthyQuality);
    expect(qualityAt(healthyQuality, drift, 30_000).failureRate).toBeCloseTo(
      (healthyQuality.failureRate + degradedQuality.failureRate) / 2,
    );
    expect(qualityAt(healthyQuality, null, 1e9)).toBe(healthyQuality);
    expect(proposedQuality(healthyQuality, { modelChange: true }).costMeanUsd).toBeCloseTo(
      healthyQuality.costMeanUsd * 1.25,
    );
  });

  it('the same seed gives the same runs, another seed others', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 20 }, () => simulateRun(random, healthyQuality));
    };
    expect(draw(9)).toEqual(draw(9));
    expect(draw(9)).not.toEqual(draw(10));
  });
});
