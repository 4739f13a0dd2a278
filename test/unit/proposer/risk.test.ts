import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../../lib/agents/config.ts';
import { defaultPolicy, type LearningPolicy } from '../../../lib/policy/policy.ts';
import { assessRisk, editRatio } from '../../../services/proposer/risk.pure.ts';

const words = (n: number, word = 'alpha') => Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ');
const baseline: AgentConfig = {
  instructions: words(100),
  model: 'model-a',
  tools: [{ name: 'search' }],
  memory: { kind: 'none' },
  guardrails: ['pii'],
  parameters: { temperature: 0.2, maxTokens: 1000 },
};
const auto: LearningPolicy = { ...defaultPolicy, promotion: { ...defaultPolicy.promotion, autoPromoteLowRisk: true } };

const edits: Record<string, Partial<AgentConfig>> = {
  'a small instructions edit': { instructions: `${words(100)} Always cite the source.` },
  'an instructions rewrite': { instructions: words(100, 'beta') },
  'a parameter change': { parameters: { temperature: 0.7, maxTokens: 1000 } },
  'a model change': { model: 'model-b' },
  'a tool change': { tools: [{ name: 'search' }, { name: 'browse' }] },
  'a memory change': { memory: { kind: 'summary' } },
  'a guardrail change': { guardrails: [] },
};

describe('risk tiers', () => {
  const table: Array<[string, string[], number | null, string, boolean]> = [
    ['a small instructions edit', [], 0, 'low', true],
    ['a small instructions edit', [], null, 'low', true],
    ['a small instructions edit', [], 0.001, 'medium', false],
    ['an instructions rewrite', [], 0, 'medium', false],
    ['a parameter change', [], 0, 'medium', false],
    ['a model change', [], 0, 'high', false],
    ['a tool change', [], -0.01, 'high', false],
    ['a memory change', [], 0, 'high', false],
    ['a guardrail change', [], 0, 'high', false],
    ['a small instructions edit', ['a parameter change'], 0, 'medium', false],
    ['a small instructions edit', ['a model change'], 0, 'high', false],
    ['a parameter change', ['a tool change', 'a memory change'], 0, 'high', false],
  ];
  for (const [first, more, cost, tier, eligible] of table) {
    it(`${[first, ...more].join(' + ')} at cost ${cost}: ${tier}${eligible ? ', auto-eligible' : ''}`, () => {
      const candidate = {
        ...baseline,
        ...edits[first],
        ...Object.assign({}, ...more.map((m) => edits[m])),
      } as AgentConfig;
      const risk = assessRisk(baseline, candidate, cost, auto);
      expect(risk.tier).toBe(tier);
      expect(risk.autoEligible).toBe(eligible);
    });
  }

  it('gives structured reasons', () => {
    const candidate = { ...baseline, model: 'model-b', parameters: { temperature: 1 } } as AgentConfig;
    expect(
      assessRisk(baseline, candidate, 0.01, auto)
        .reasons.map((r) => r.code)
        .sort(),
    ).toEqual(['cost_increase_projected', 'model_changed', 'parameters_changed']);
  });

  it('a low-risk change is not auto-eligible while the policy keeps a human on every promotion (phase 1)', () => {
    const risk = assessRisk(
      baseline,
      { ...baseline, ...edits['a small instructions edit'] } as AgentConfig,
      0,
      defaultPolicy,
    );
    expect(risk).toMatchObject({ tier: 'low', autoEligible: false });
    expect(risk.reasons.map((r) => r.code)).toContain('auto_promotion_disabled');
  });

  it("the policy's minimum tier raises a tier and says so", () => {
    const strict: LearningPolicy = { ...auto, risk: { ...auto.risk, minimumTier: 'medium' } };
    const risk = assessRisk(baseline, { ...baseline, ...edits['a small instructions edit'] } as AgentConfig, 0, strict);
    expect(risk).toMatchObject({ tier: 'medium', autoEligible: false });
    expect(risk.reasons.map((r) => r.code)).toContain('policy_minimum_tier');
  });
});

describe('risk invariants (fast-check)', () => {
  const part = fc.constantFrom<keyof AgentConfig>('model', 'tools', 'memory', 'guardrails');
  const tier = fc.constantFrom<'low' | 'medium' | 'high'>('low', 'medium', 'high');
  const policy = fc
    .record({ auto: fc.boolean(), minimumTier: tier, ratio: fc.double({ min: 0, max: 0.3, noNaN: true }) })
    .map(
      ({ auto: a, minimumTier, ratio }): LearningPolicy => ({
        ...defaultPolicy,
        promotion: { ...defaultPolicy.promotion, autoPromoteLowRisk: a },
        risk: { lowRiskMaxEditRatio: ratio, minimumTier },
      }),
    );
  const anyEdit = fc
    .subarray(Object.keys(edits))
    .map((keys) => Object.assign({}, ...keys.map((k) => edits[k])) as Partial<AgentConfig>);
  const cost = fc.option(fc.double({ min: -1, max: 1, noNaN: true }), { nil: null });

  it('any change touching the model, tools, memory or guardrails is high and never auto-eligible', () => {
    fc.assert(
      fc.property(part, anyEdit, cost, policy, (touched, more, c, p) => {
        const candidate = {
          ...baseline,
          ...more,
          [touched]:
            edits[`a ${touched === 'tools' ? 'tool' : touched === 'guardrails' ? 'guardrail' : touched} change`]![
              touched
            ],
        } as AgentConfig;
        const risk = assessRisk(baseline, candidate, c, p);
        expect(risk.tier).toBe('high');
        expect(risk.autoEligible).toBe(false);
      }),
    );
  });

  it('a policy never lowers a tier: the tier is at least the computed one and at least the minimum', () => {
    fc.assert(
      fc.property(anyEdit, cost, policy, (more, c, p) => {
        const candidate = { ...baseline, ...more } as AgentConfig;
        const loose = assessRisk(baseline, candidate, c, { ...p, risk: { ...p.risk, minimumTier: 'low' } });
        const risk = assessRisk(baseline, candidate, c, p);
        const rank = { low: 0, medium: 1, high: 2 };
        expect(rank[risk.tier]).toBeGreaterThanOrEqual(rank[loose.tier]);
        expect(rank[risk.tier]).toBeGreaterThanOrEqual(rank[p.risk.minimumTier]);
        expect(risk.autoEligible).toBe(risk.tier === 'low' && p.promotion.autoPromoteLowRisk);
      }),
    );
  });
});

describe('the edit ratio', () => {
  it('is 0 for the same text, 1 for a complete rewrite, and proportional in between', () => {
    expect(editRatio('a b c d', 'a b c d')).toBe(0);
    expect(editRatio('a b c d', 'w x y z')).toBe(1);
    expect(editRatio('a b c d', 'a b x d')).toBe(0.25);
    expect(editRatio('', '')).toBe(0);
  });
});
