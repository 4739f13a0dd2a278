import { describe, expect, it } from 'vitest';
import { experimentPolicy, rampSchedule } from '../../lib/policy/experiment.ts';
import { defaultPolicy } from '../../lib/policy/policy.ts';
import { applyTierFloor, resolvePolicy } from '../../lib/policy/resolve.ts';

describe('the learning policy', () => {
  it('has documented defaults: 60-minute window in 5-minute buckets, 6 h cooldown, daily 03:00, human approval for all', () => {
    expect(defaultPolicy.window).toEqual({ lengthMs: 3_600_000, bucketMs: 300_000, graceMs: 300_000 });
    expect(defaultPolicy.trigger.cooldownMs).toBe(6 * 3_600_000);
    expect(defaultPolicy.schedule).toEqual({ enabled: true, cron: '0 3 * * *', timezone: 'UTC' });
    expect(defaultPolicy.promotion.autoPromoteLowRisk).toBe(false);
    expect(defaultPolicy.experiment.rampBasisPoints).toEqual([500, 1000, 2500, 5000]);
  });

  it("lays an agent's overrides over the defaults, merging objects and replacing arrays", () => {
    const result = resolvePolicy({ trigger: { minRuns: 20 }, experiment: { rampBasisPoints: [1000, 3000] } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.policy.trigger.minRuns).toBe(20);
    expect(result.policy.trigger.failureRateAbove).toBe(defaultPolicy.trigger.failureRateAbove);
    expect(result.policy.experiment.rampBasisPoints).toEqual([1000, 3000]);
  });

  it('names each bad field: out of range, unknown, inconsistent', () => {
    const result = resolvePolicy({
      trigger: { failureRateAbove: 1.5, surprise: true },
      window: { lengthMs: 1000, bucketMs: 300 },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join('\n')).toMatch(/trigger\.failureRateAbove: .*<=1/);
    expect(result.issues).toContainEqual({ field: 'trigger.surprise', message: 'is not a known field' });
    expect(resolvePolicy({ experiment: { rampBasisPoints: [1000, 500] } })).toMatchObject({ ok: false });
    expect(resolvePolicy({ experiment: { rampBasisPoints: [500, 6000] } })).toMatchObject({ ok: false });
    expect(resolvePolicy('loose')).toEqual({
      ok: false,
      issues: [{ field: '(policy)', message: 'must be an object' }],
      errors: ['(policy): must be an object'],
    });
  });

  it('may tighten risk rules but never loosen them', () => {
    expect(resolvePolicy({ risk: { lowRiskMaxEditRatio: 0.1 } }).ok).toBe(true);
    const looser = resolvePolicy({ risk: { lowRiskMaxEditRatio: 0.9 } });
    expect(looser.ok).toBe(false);
    if (!looser.ok) expect(looser.errors[0]).toContain('may only tighten');
    const strict = resolvePolicy({ risk: { minimumTier: 'medium' } });
    if (!strict.ok) throw new Error('expected ok');
    expect(applyTierFloor('low', strict.policy)).toBe('medium');
    expect(applyTierFloor('high', strict.policy)).toBe('high');
    expect(applyTierFloor('low', defaultPolicy)).toBe('low');
  });

  it.each([
    [{ risk: { minimumTier: 'low' } }, { risk: { minimumTier: 'medium' } }, 'risk.minimumTier'],
    [
      { experiment: { modeByTier: { high: 'ab' } } },
      { experiment: { modeByTier: { low: 'shadow' } } },
      'experiment.modeByTier.high',
    ],
    [
      { experiment: { guardrailMargins: { failure_rate: 0.05 } } },
      { experiment: { guardrailMargins: { failure_rate: 0.01 } } },
      'experiment.guardrailMargins.failure_rate',
    ],
    [{ experiment: { alpha: 0.1 } }, { experiment: { alpha: 0.01 } }, 'experiment.alpha'],
    [{ experiment: { srmPValue: 0.0001 } }, { experiment: { srmPValue: 0.01 } }, 'experiment.srmPValue'],
  ])('refuses %j (looser than the central rule) and accepts %j (tighter), naming %s', (looser, tighter, field) => {
    const base =
      field === 'risk.minimumTier'
        ? resolvePolicy({ risk: { minimumTier: 'medium' } })
        : { ok: true as const, policy: defaultPolicy };
    if (!base.ok) throw new Error('base');
    const refused = resolvePolicy(looser, base.policy);
    expect(refused.ok ? [] : refused.issues.map((i) => i.field)).toEqual([field]);
    expect(resolvePolicy(tighter, base.policy).ok).toBe(true);
  });

  it('gives an experiment its copy: low risk forbids cost increases and may auto-promote only when the policy allows', () => {
    const auto = resolvePolicy({ promotion: { autoPromoteLowRisk: true } });
    if (!auto.ok) throw new Error('expected ok');
    expect(experimentPolicy(auto.policy, 7, 'low')).toMatchObject({
      policyVersion: 7,
      forbidCostIncrease: true,
      autoPromote: true,
      alpha: 0.05,
    });
    expect(experimentPolicy(auto.policy, 7, 'high')).toMatchObject({ forbidCostIncrease: false, autoPromote: false });
    expect(experimentPolicy(defaultPolicy, 1, 'low').autoPromote).toBe(false);
    expect(
      experimentPolicy(defaultPolicy, 1, 'low')
        .guardrails.map((g) => g.metric)
        .sort(),
    ).toEqual(['cost_per_run', 'failure_rate', 'guardrail_hit_rate', 'latency_p95_ms']);
    expect(rampSchedule(defaultPolicy)[0]).toEqual({
      candidateBasisPoints: 500,
      minDurationMs: 3_600_000,
      minRunsPerArm: 100,
    });
  });
});
