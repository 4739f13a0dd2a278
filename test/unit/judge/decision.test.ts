import { describe, expect, it } from 'vitest';
import { decide, decideOnApproval, rampSplit } from '../../../services/experiment-judge/decision.pure.ts';
import {
  analysis,
  experiment,
  guardrail,
  hour,
  inconclusivePrimary,
  input,
  memory,
  mismatchedSrm,
  passingGuardrails,
  policy,
  t0,
  worsePrimary,
} from './support.ts';

const codes = (d: { reasons: Array<{ code: string }> }) => d.reasons.map((r) => r.code);
const withGuardrail = (g: ReturnType<typeof guardrail>) =>
  passingGuardrails().map((t) => (t.metric === g.metric ? g : t));

describe('the decision table: running experiments', () => {
  it('everything passes, low risk, auto-eligible, policy allows: promote automatically', () => {
    const d = decide(input());
    expect(d).toMatchObject({ action: 'promote', status: 'promoted', promotionMode: 'auto', withdrawApproval: false });
    expect(codes(d)).toEqual(['primary_better_sustained']);
  });

  it.each([
    ['medium risk', { experiment: { ...experiment, riskTier: 'medium' as const, autoEligible: false } }],
    ['high risk', { experiment: { ...experiment, riskTier: 'high' as const, autoEligible: false } }],
    ['low risk but not auto-eligible', { experiment: { ...experiment, autoEligible: false } }],
    ['low risk, but the policy keeps a human on every promotion', { policy: { ...policy, autoPromote: false } }],
  ])('everything passes, %s: request approval', (_label, overrides) => {
    const d = decide(input(overrides));
    expect(d).toMatchObject({ action: 'request_approval', status: 'awaiting_approval', promotionMode: null });
    expect(codes(d)).toEqual(['primary_better_sustained', 'approval_required']);
  });

  it('a guardrail significantly worse than its margin fails the experiment at once, whatever else holds', () => {
    const d = decide(
      input({
        analysis: analysis({
          guardrails: withGuardrail(guardrail('failure_rate', 'regressed', 0.06)),
          samples: { baseline: 30, candidate: 30 },
        }),
        now: t0 + hour,
      }),
    );
    expect(d).toMatchObject({ action: 'fail', status: 'failed' });
    expect(codes(d)).toEqual(['guardrail_regressed']);
    expect(d.reasons[0]!.detail).toContain('failure_rate');
  });

  it('a cost regression fails a change whose policy forbids a cost increase, and says so', () => {
    const d = decide(
      input({ analysis: analysis({ guardrails: withGuardrail(guardrail('cost_per_run', 'regressed', 0.01)) }) }),
    );
    expect(d.action).toBe('fail');
    expect(codes(d)).toEqual(['guardrail_regressed', 'cost_increase_forbidden']);
  });

  it('a cost increase does not bind a change that may cost more (medium or high risk)', () => {
    const allowed = { ...policy, forbidCostIncrease: false, autoPromote: false };
    const regressed = decide(
      input({
        policy: allowed,
        analysis: analysis({ guardrails: withGuardrail(guardrail('cost_per_run', 'regressed', 0.01)) }),
        experiment: { ...experiment, riskTier: 'high', autoEligible: false },
      }),
    );
    expect(regressed.action).toBe('request_approval');
  });

  it('the primary metric significantly worse fails the experiment', () => {
    const d = decide(input({ analysis: analysis({ primary: worsePrimary }) }));
    expect(d).toMatchObject({ action: 'fail', status: 'failed' });
    expect(codes(d)).toEqual(['primary_worse']);
  });

  it('a sample-ratio mismatch pauses once; after a person resumes, it only blocks promotion', () => {
    const first = decide(input({ analysis: analysis({ srm: mismatchedSrm }) }));
    expect(first).toMatchObject({ action: 'pause', status: 'paused', memory: { srmPaused: true } });
    expect(codes(first)).toEqual(['sample_ratio_mismatch']);
    const resumed = decide(
      input({ memory: { ...first.memory, primaryBetterSince: t0 }, analysis: analysis({ srm: mismatchedSrm }) }),
    );
    expect(resumed.action).toBe('continue');
    expect(codes(resumed)).toContain('sample_ratio_mismatch');
  });

  it('before the minimum runs per arm: continue, however good it looks', () => {
    const d = decide(input({ analysis: analysis({ samples: { baseline: 499, candidate: 2000 } }) }));
    expect(d.action).toBe('continue');
    expect(codes(d)).toEqual(['minimum_runs_not_reached']);
    expect(d.reasons[0]!.detail).toBe('499 of 500 per arm');
  });

  it('before the minimum duration: continue', () => {
    const d = decide(input({ now: t0 + 23 * hour, memory: { ...memory, primaryBetterSince: t0 } }));
    expect(d.action).toBe('continue');
    expect(codes(d)).toEqual(['minimum_duration_not_reached']);
  });

  it('better, but not yet for the sustained period: continue, and the clock starts at the first better analysis', () => {
    const now = t0 + 48 * hour;
    const first = decide(input({ memory, now }));
    expect(first).toMatchObject({ action: 'continue', memory: { primaryBetterSince: now } });
    expect(codes(first)).toEqual(['primary_better']);
    const later = decide(input({ memory: first.memory, now: now + 6 * hour - 1 }));
    expect(later.action).toBe('continue');
    expect(decide(input({ memory: first.memory, now: now + 6 * hour })).action).toBe('promote');
  });

  it('one analysis that is not better resets the sustained clock', () => {
    const d = decide(input({ analysis: analysis({ primary: inconclusivePrimary }) }));
    expect(d).toMatchObject({ action: 'continue', memory: { primaryBetterSince: null } });
    expect(codes(d)).toEqual(['primary_inconclusive']);
  });

  it('no primary statistics yet, or a primary metric the judge does not measure: inconclusive', () => {
    expect(codes(decide(input({ analysis: analysis({ primary: null }) })))).toEqual(['primary_inconclusive']);
    const unmeasured = decide(
      input({ policy: { ...policy, primaryMetric: 'tool_error_rate' }, analysis: analysis({ primary: null }) }),
    );
    expect(unmeasured.reasons[0]!.detail).toContain('not measured');
  });

  it('a guardrail not yet significantly within its margin (or with no data) blocks promotion', () => {
    const inconclusive = decide(
      input({ analysis: analysis({ guardrails: withGuardrail(guardrail('latency_p95_ms', 'inconclusive', 100)) }) }),
    );
    expect(inconclusive.action).toBe('continue');
    expect(inconclusive.reasons).toEqual([{ code: 'guardrail_inconclusive', detail: 'latency_p95_ms' }]);
    const missing = decide(
      input({
        analysis: analysis({ guardrails: passingGuardrails().filter((g) => g.metric !== 'guardrail_hit_rate') }),
      }),
    );
    expect(missing.reasons).toEqual([{ code: 'guardrail_inconclusive', detail: 'guardrail_hit_rate' }]);
  });

  it('the reasons list every blocker, in a fixed order', () => {
    const d = decide(
      input({
        memory,
        now: t0 + hour,
        analysis: analysis({ primary: inconclusivePrimary, samples: { baseline: 10, candidate: 12 }, guardrails: [] }),
      }),
    );
    expect(codes(d)).toEqual([
      'minimum_runs_not_reached',
      'minimum_duration_not_reached',
      'primary_inconclusive',
      'guardrail_inconclusive',
    ]);
  });

  it('the maximum duration without a decision: inconclusive, no promotion', () => {
    const d = decide(input({ now: t0 + 7 * 24 * hour, analysis: analysis({ primary: inconclusivePrimary }) }));
    expect(d).toMatchObject({ action: 'fail', status: 'inconclusive' });
    expect(codes(d)).toEqual(['maximum_duration_reached', 'primary_inconclusive']);
  });

  it('at the maximum duration a candidate that qualifies is still promoted', () => {
    expect(decide(input({ now: t0 + 7 * 24 * hour })).action).toBe('promote');
  });
});

describe('the decision table: the ramp', () => {
  const early = (over: Partial<Parameters<typeof input>[0]> = {}) =>
    input({
      now: t0 + 2 * hour,
      memory: { ...memory, rampStepStartedAt: t0, stepRuns: { baseline: 150, candidate: 140 } },
      analysis: analysis({
        primary: inconclusivePrimary,
        guardrails: passingGuardrails().map((g) => ({ ...g, outcome: 'inconclusive' as const })),
        samples: { baseline: 150, candidate: 140 },
      }),
      ...over,
    });

  it('after the step’s hold time and runs with no guardrail signal: ramp to the next step', () => {
    const d = decide(early());
    expect(d).toMatchObject({
      action: 'ramp',
      status: 'running',
      nextRampStepIndex: 1,
      nextTrafficSplit: { candidateBasisPoints: 1000, baselineBasisPoints: 1000, shadowSampleBasisPoints: 0 },
      memory: { rampStepStartedAt: t0 + 2 * hour, stepRuns: { baseline: 0, candidate: 0 } },
    });
    expect(codes(d)[0]).toBe('ramp_step_complete');
    expect(d.reasons[0]!.detail).toBe('500 -> 1000 bp');
  });

  it('holds while the step’s time or runs are short', () => {
    expect(decide(early({ now: t0 + hour - 1 })).action).toBe('continue');
    expect(decide(early({ memory: { ...memory, stepRuns: { baseline: 150, candidate: 99 } } })).action).toBe(
      'continue',
    );
  });

  it('holds while any guardrail’s estimate is beyond its margin, even before it is significant', () => {
    const signal = early({
      analysis: analysis({
        primary: inconclusivePrimary,
        guardrails: withGuardrail(guardrail('failure_rate', 'inconclusive', 0.03)),
      }),
    });
    expect(decide(signal).action).toBe('continue');
  });

  it('holds during a mismatch, at the last step, and in shadow mode', () => {
    const srm = early({
      memory: { ...memory, srmPaused: true, stepRuns: { baseline: 150, candidate: 150 } },
      analysis: analysis({ primary: inconclusivePrimary, srm: mismatchedSrm }),
    });
    expect(decide(srm).action).toBe('continue');
    expect(
      decide(
        early({
          experiment: {
            ...experiment,
            rampStepIndex: 2,
            trafficSplit: { candidateBasisPoints: 2500, baselineBasisPoints: 2500, shadowSampleBasisPoints: 0 },
          },
        }),
      ).action,
    ).toBe('continue');
    expect(decide(early({ experiment: { ...experiment, mode: 'shadow' } })).action).toBe('continue');
  });

  it('never lowers the share, keeps each arm within its half of the buckets, and a measured baseline as large as the candidate', () => {
    expect(
      rampSplit(
        { candidateBasisPoints: 500, baselineBasisPoints: 9500, shadowSampleBasisPoints: 0 },
        { candidateBasisPoints: 2500, minDurationMs: 0, minRunsPerArm: 0 },
      ),
    ).toEqual({
      candidateBasisPoints: 2500,
      baselineBasisPoints: 5000,
      shadowSampleBasisPoints: 0,
    });
    expect(
      rampSplit(
        { candidateBasisPoints: 2500, baselineBasisPoints: 2500, shadowSampleBasisPoints: 0 },
        { candidateBasisPoints: 6000, minDurationMs: 0, minRunsPerArm: 0 },
      ),
    ).toEqual({
      candidateBasisPoints: 5000,
      baselineBasisPoints: 5000,
      shadowSampleBasisPoints: 0,
    });
    const lower = early({
      experiment: { ...experiment, trafficSplit: { ...experiment.trafficSplit, candidateBasisPoints: 1200 } },
    });
    expect(decide(lower).action).toBe('continue');
  });
});

describe('the decision table: awaiting approval, paused, ended', () => {
  const awaiting = {
    ...experiment,
    status: 'awaiting_approval' as const,
    riskTier: 'high' as const,
    autoEligible: false,
    approvalExpiresAt: t0 + 120 * hour,
  };

  it('holds its share while waiting; the guardrails keep being watched', () => {
    const d = decide(input({ experiment: awaiting }));
    expect(d).toMatchObject({ action: 'continue', status: 'awaiting_approval', withdrawApproval: false });
    expect(codes(d)).toEqual(['approval_required']);
  });

  it('a regression while waiting fails it and withdraws the request', () => {
    const d = decide(
      input({
        experiment: awaiting,
        analysis: analysis({ guardrails: withGuardrail(guardrail('guardrail_hit_rate', 'regressed', 0.05)) }),
      }),
    );
    expect(d).toMatchObject({ action: 'fail', status: 'failed', withdrawApproval: true });
  });

  it('a mismatch while waiting pauses it and withdraws the request', () => {
    expect(decide(input({ experiment: awaiting, analysis: analysis({ srm: mismatchedSrm }) }))).toMatchObject({
      action: 'pause',
      withdrawApproval: true,
    });
  });

  it('an expired request counts as rejected', () => {
    const d = decide(input({ experiment: awaiting, now: t0 + 120 * hour }));
    expect(d).toMatchObject({ action: 'reject', status: 'rejected' });
    expect(d.reasons[0]!.detail).toContain('expired');
  });

  it.each(['paused', 'promoted', 'failed', 'rejected', 'inconclusive', 'cancelled'] as const)(
    '%s: nothing to decide',
    (status) => {
      const d = decide(
        input({
          experiment: { ...experiment, status },
          analysis: analysis({ guardrails: withGuardrail(guardrail('failure_rate', 'regressed', 0.5)) }),
        }),
      );
      expect(d).toMatchObject({ action: 'continue', status, reasons: [] });
    },
  );
});

describe('the decision table: an approval arrives', () => {
  const awaiting = input({
    experiment: { ...experiment, status: 'awaiting_approval', riskTier: 'high', autoEligible: false },
  });

  it('approved and the guardrails still hold: promoted (manual, approver recorded)', () => {
    const d = decideOnApproval(awaiting, { decision: 'approved', approver: 'slack:U42' });
    expect(d).toMatchObject({ action: 'promote', status: 'promoted', promotionMode: 'manual' });
    expect(d.reasons[1]).toEqual({ code: 'approval_required', detail: 'approved by slack:U42' });
  });

  it('rejected: closed, traffic back to the baseline', () => {
    expect(decideOnApproval(awaiting, { decision: 'rejected', approver: 'alice' })).toMatchObject({
      action: 'reject',
      status: 'rejected',
    });
  });

  it('approved, but a guardrail regressed since: failed, not promoted', () => {
    const regressed = {
      ...awaiting,
      analysis: analysis({ guardrails: withGuardrail(guardrail('failure_rate', 'regressed', 0.08)) }),
    };
    expect(decideOnApproval(regressed, { decision: 'approved', approver: 'alice' })).toMatchObject({
      action: 'fail',
      status: 'failed',
    });
    expect(
      decideOnApproval(
        { ...awaiting, analysis: analysis({ primary: worsePrimary }) },
        { decision: 'approved', approver: 'a' },
      ).action,
    ).toBe('fail');
  });

  it('approved, but a guardrail is no longer conclusive: back to running, to ask again', () => {
    const wobbly = {
      ...awaiting,
      analysis: analysis({ guardrails: withGuardrail(guardrail('latency_p95_ms', 'inconclusive', 100)) }),
    };
    const d = decideOnApproval(wobbly, { decision: 'approved', approver: 'alice' });
    expect(d).toMatchObject({ action: 'continue', status: 'running', memory: { primaryBetterSince: null } });
    expect(codes(d)).toEqual(['guardrail_inconclusive']);
  });

  it('an approval for an experiment that is not waiting changes nothing', () => {
    expect(decideOnApproval(input(), { decision: 'approved', approver: 'a' })).toMatchObject({
      action: 'continue',
      status: 'running',
      reasons: [],
    });
  });
});
