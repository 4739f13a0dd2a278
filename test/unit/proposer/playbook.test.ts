import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../../lib/agents/config.ts';
import type { SessionTriggered } from '../../../lib/contracts/types.generated.ts';
import { resolvePolicy } from '../../../lib/policy/resolve.ts';
import { playbookGenerator } from '../../../services/proposer/generators/playbook.pure.ts';
import { parseProposals } from '../../../services/proposer/generators/types.pure.ts';
import { signalReport } from '../../../services/proposer/report.pure.ts';

const baseline: AgentConfig = {
  instructions: 'Be helpful.',
  model: 'm',
  tools: [],
  memory: {},
  guardrails: [],
  parameters: { temperature: 0.2 },
};
const trigger: SessionTriggered = {
  eventId: 'e',
  sessionId: 's',
  agentId: 'a',
  agentVersionId: 'v',
  trigger: 'threshold',
  triggeredAt: new Date(0),
  requestedBy: null,
  reason: null,
  window: {
    windowStart: new Date(0),
    windowEnd: new Date(3_600_000),
    runCount: 100,
    evaluatedCount: 100,
    meanScore: 0.5,
    passRate: 0.5,
    failureRate: 0.4,
    guardrailHitRate: 0,
    meanCostUsd: 0.01,
    p50LatencyMs: 100,
    p95LatencyMs: 300,
    toolErrorRate: 0.1,
    negativeFeedbackRate: null,
  },
  thresholdsCrossed: [
    { metric: 'score', direction: 'below', threshold: 0.6, observed: 0.5 },
    { metric: 'failure_rate', direction: 'above', threshold: 0.2, observed: 0.4 },
  ],
  topFailureCategories: [
    { category: 'hallucination', count: 5, share: 0.05, exampleRunIds: ['r1'] },
    { category: 'tool_misuse', count: 30, share: 0.3, exampleRunIds: ['r2', 'r3'] },
  ],
};

function generator(playbook: unknown, maxCandidates = 3) {
  const resolved = resolvePolicy({ generator: { playbook, maxCandidates } });
  if (!resolved.ok) throw new Error(resolved.errors.join('; '));
  return playbookGenerator(resolved.policy.generator);
}

describe('the signal report', () => {
  it('ranks failure categories by count and says how far each threshold was crossed', () => {
    const report = signalReport(trigger);
    expect(report.failureCategories.map((c) => c.category)).toEqual(['tool_misuse', 'hallucination']);
    expect(report.thresholdsCrossed.map((t) => [t.metric, Number(t.by.toFixed(6))])).toEqual([
      ['score', -0.1],
      ['failure_rate', 0.2],
    ]);
  });
});

describe('the playbook generator', () => {
  const rules = [
    {
      when: { failureCategory: 'hallucination' },
      summary: 'ground answers',
      appendInstructions: 'Cite a source for every claim.',
    },
    {
      when: { metric: 'failure_rate' },
      summary: 'more tokens',
      change: { parameters: { temperature: 0.2, maxTokens: 4000 } },
    },
    {
      when: { failureCategory: 'tool_misuse' },
      summary: 'check tool arguments',
      appendInstructions: 'Check every tool argument against its schema.',
    },
    { when: { failureCategory: 'never-seen' }, summary: 'unused', appendInstructions: 'x' },
  ];

  it('proposes one candidate per matching rule, most important signal first', async () => {
    const result = await generator(rules).generate(signalReport(trigger), baseline);
    expect(result).toEqual({
      ok: true,
      candidates: [
        {
          summary: 'check tool arguments',
          change: { instructions: 'Be helpful.\n\nCheck every tool argument against its schema.' },
          projectedCostDeltaUsd: 0,
        },
        {
          summary: 'ground answers',
          change: { instructions: 'Be helpful.\n\nCite a source for every claim.' },
          projectedCostDeltaUsd: 0,
        },
        {
          summary: 'more tokens',
          change: { parameters: { temperature: 0.2, maxTokens: 4000 } },
          projectedCostDeltaUsd: 0,
        },
      ],
    });
  });

  it('keeps at most maxCandidates, and fails with a reason when no rule matches', async () => {
    const two = await generator(rules, 2).generate(signalReport(trigger), baseline);
    expect(two.ok && two.candidates.map((c) => c.summary)).toEqual(['check tool arguments', 'ground answers']);
    expect(await generator([rules[3]]).generate(signalReport(trigger), baseline)).toEqual({
      ok: false,
      reason: "no playbook rule matches the session's signals",
    });
  });

  it('refuses a rule with no condition', () => {
    expect(resolvePolicy({ generator: { playbook: [{ when: {}, summary: 's' }] } }).ok).toBe(false);
  });
});

describe('proposals from an HTTP or language-model generator', () => {
  it('are validated, naming what is wrong', () => {
    expect(parseProposals({ proposals: [{ summary: 's', change: { model: 'b' } }] }, 3)).toEqual({
      ok: true,
      candidates: [{ summary: 's', change: { model: 'b' }, projectedCostDeltaUsd: null }],
    });
    const bad = parseProposals({ proposals: [{ summary: 's', change: { model: 42 } }] }, 3);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.reason).toContain('proposals.0.change.model');
    expect(parseProposals({ proposals: [{ summary: 's', change: {} }] }, 3).ok).toBe(false);
    expect(parseProposals({ proposals: [] }, 3).ok).toBe(false);
    expect(parseProposals('nope', 3).ok).toBe(false);
  });
});
