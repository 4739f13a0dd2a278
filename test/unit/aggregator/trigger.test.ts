import { describe, expect, it } from 'vitest';
import type { WindowSummary } from '../../../lib/contracts/types.generated.ts';
import { defaultPolicy, type LearningPolicy } from '../../../lib/policy/policy.ts';
import {
  crossedThresholds,
  decideThresholdTrigger,
  type AgentSituation,
} from '../../../services/signal-aggregator/thresholds.pure.ts';

const healthy: WindowSummary = {
  windowStart: new Date(0),
  windowEnd: new Date(3_600_000),
  runCount: 100,
  evaluatedCount: 100,
  meanScore: 0.8,
  passRate: 0.9,
  failureRate: 0.05,
  guardrailHitRate: 0.01,
  meanCostUsd: 0.01,
  p50LatencyMs: 100,
  p95LatencyMs: 400,
  toolErrorRate: 0,
  negativeFeedbackRate: 0.02,
};
const free: AgentSituation = { paused: false, openSessionId: null, runningExperimentId: null, lastSessionAt: null };
const trigger = defaultPolicy.trigger;
const eps = 1e-9;

describe('each threshold exactly at, just under and just over its value', () => {
  const cases: Array<[string, keyof WindowSummary, number, 'above' | 'below']> = [
    ['failure_rate', 'failureRate', trigger.failureRateAbove, 'above'],
    ['score', 'meanScore', trigger.meanScoreBelow, 'below'],
    ['guardrail_hit_rate', 'guardrailHitRate', trigger.guardrailHitRateAbove, 'above'],
    ['negative_feedback_rate', 'negativeFeedbackRate', trigger.negativeFeedbackRateAbove, 'above'],
  ];
  for (const [metric, field, threshold, direction] of cases) {
    it(`${metric} ${direction} ${threshold}`, () => {
      const at = crossedThresholds({ ...healthy, [field]: threshold }, null, trigger);
      const inside = crossedThresholds(
        { ...healthy, [field]: direction === 'above' ? threshold - eps : threshold + eps },
        null,
        trigger,
      );
      const beyond = crossedThresholds(
        { ...healthy, [field]: direction === 'above' ? threshold + eps : threshold - eps },
        null,
        trigger,
      );
      expect(at).toEqual([]);
      expect(inside).toEqual([]);
      expect(beyond).toEqual([
        { metric, direction, threshold, observed: direction === 'above' ? threshold + eps : threshold - eps },
      ]);
    });
  }

  it('cost per run above its trailing level by more than the percentage', () => {
    const limit = 0.01 * (1 + trigger.costIncreasePercentAbove / 100);
    expect(crossedThresholds({ ...healthy, meanCostUsd: limit }, 0.01, trigger)).toEqual([]);
    expect(crossedThresholds({ ...healthy, meanCostUsd: limit - eps }, 0.01, trigger)).toEqual([]);
    expect(crossedThresholds({ ...healthy, meanCostUsd: limit + eps }, 0.01, trigger)).toEqual([
      { metric: 'cost_per_run', direction: 'above', threshold: limit, observed: limit + eps },
    ]);
    expect(crossedThresholds({ ...healthy, meanCostUsd: 1 }, null, trigger)).toEqual([]);
  });

  it('a figure with no data crosses nothing', () => {
    expect(
      crossedThresholds({ ...healthy, meanScore: null, negativeFeedbackRate: null, failureRate: null }, null, trigger),
    ).toEqual([]);
  });
});

describe('the threshold trigger', () => {
  const failing = { ...healthy, failureRate: 0.5 };
  const now = 100 * 3_600_000;

  it('needs minRuns: one run short does not trigger, exactly minRuns does', () => {
    expect(
      decideThresholdTrigger({ ...failing, runCount: trigger.minRuns - 1 }, null, free, defaultPolicy, now),
    ).toEqual({ trigger: false, reason: 'too_few_runs' });
    expect(
      decideThresholdTrigger({ ...failing, runCount: trigger.minRuns }, null, free, defaultPolicy, now),
    ).toMatchObject({ trigger: true });
  });

  it('never for a paused agent, nor while a session is open or an experiment runs (single flight)', () => {
    const paused: LearningPolicy = { ...defaultPolicy, paused: true };
    expect(decideThresholdTrigger(failing, null, free, paused, now)).toEqual({ trigger: false, reason: 'paused' });
    expect(decideThresholdTrigger(failing, null, { ...free, openSessionId: 's' }, defaultPolicy, now)).toEqual({
      trigger: false,
      reason: 'session_open',
    });
    expect(decideThresholdTrigger(failing, null, { ...free, runningExperimentId: 'x' }, defaultPolicy, now)).toEqual({
      trigger: false,
      reason: 'experiment_running',
    });
  });

  it('waits out the cooldown: a millisecond short blocks, exactly the cooldown passes', () => {
    const cooldown = trigger.cooldownMs;
    expect(
      decideThresholdTrigger(failing, null, { ...free, lastSessionAt: now - cooldown + 1 }, defaultPolicy, now),
    ).toEqual({ trigger: false, reason: 'cooldown' });
    expect(
      decideThresholdTrigger(failing, null, { ...free, lastSessionAt: now - cooldown }, defaultPolicy, now),
    ).toMatchObject({ trigger: true });
  });

  it('does nothing for a healthy window', () => {
    expect(decideThresholdTrigger(healthy, 0.01, free, defaultPolicy, now)).toEqual({
      trigger: false,
      reason: 'nothing_crossed',
    });
  });
});
