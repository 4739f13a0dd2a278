import type { RiskReason, RiskTier } from '../../lib/contracts/types.generated.ts';
import { canonicalJson } from '../../lib/audit/canonical.ts';
import type { AgentConfig, ConfigPart } from '../../lib/agents/config.ts';
import type { LearningPolicy } from '../../lib/policy/policy.ts';
import { applyTierFloor } from '../../lib/policy/resolve.ts';

const rank: Record<RiskTier, number> = { low: 0, medium: 1, high: 2 };
const tierOf: Record<ConfigPart, RiskTier> = {
  instructions: 'low',
  parameters: 'medium',
  model: 'high',
  tools: 'high',
  memory: 'high',
  guardrails: 'high',
};
const codeOf = {
  model: 'model_changed',
  tools: 'tools_changed',
  memory: 'memory_changed',
  guardrails: 'guardrails_changed',
  parameters: 'parameters_changed',
} as const;

export function changedParts(baseline: AgentConfig, candidate: AgentConfig): ConfigPart[] {
  return (Object.keys(tierOf) as ConfigPart[]).filter(
    (part) => canonicalJson(baseline[part] as never) !== canonicalJson(candidate[part] as never),
  );
}

function lcsLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const current = new Array<number>(b.length + 1).fill(0);
    for (let j = 0; j < b.length; j++)
      current[j + 1] = x === b[j] ? previous[j]! + 1 : Math.max(previous[j + 1]!, current[j]!);
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The share of the instructions an edit rewrites, in [0, 1]: 1 - (longest common subsequence / longer text), by words,
 * or by lines for very long texts (the word table would be too large).
 */
export function editRatio(before: string, after: string): number {
  const words = (s: string) => s.split(/\s+/).filter(Boolean);
  let a = words(before);
  let b = words(after);
  if (a.length * b.length > 4_000_000) {
    a = before.split('\n');
    b = after.split('\n');
  }
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 0 : 1 - lcsLength(a, b) / longer;
}

export interface RiskAssessment {
  tier: RiskTier;
  autoEligible: boolean;
  reasons: RiskReason[];
}

/**
 * The risk tier of a candidate against its baseline (docs/proposer.md): low is a modest instructions edit and nothing else
 * at no projected cost increase; any change to the model, tools, memory or guardrails is high; anything else is
 * medium. The policy's minimum tier can only raise it. Auto-eligible: low, and the policy allows auto-promotion.
 */
export function assessRisk(
  baseline: AgentConfig,
  candidate: AgentConfig,
  projectedCostDeltaUsd: number | null,
  policy: LearningPolicy,
): RiskAssessment {
  const reasons: RiskReason[] = [];
  let tier: RiskTier = 'low';
  const raise = (to: RiskTier) => {
    if (rank[to] > rank[tier]) tier = to;
  };
  for (const part of changedParts(baseline, candidate)) {
    if (part === 'instructions') {
      const ratio = editRatio(baseline.instructions, candidate.instructions);
      const rewritten = ratio > policy.risk.lowRiskMaxEditRatio;
      reasons.push({
        code: rewritten ? 'instructions_rewritten' : 'instructions_edited',
        detail: `${Math.round(ratio * 100)}% of the instructions changed`,
      });
      raise(rewritten ? 'medium' : 'low');
    } else {
      reasons.push({ code: codeOf[part], detail: null });
      raise(tierOf[part]);
    }
  }
  if (projectedCostDeltaUsd !== null && projectedCostDeltaUsd > 0) {
    reasons.push({ code: 'cost_increase_projected', detail: `+${projectedCostDeltaUsd} USD per run` });
    raise('medium');
  }
  const floored = applyTierFloor(tier, policy);
  if (floored !== tier)
    reasons.push({
      code: 'policy_minimum_tier',
      detail: `the agent's policy makes every proposal at least ${floored}`,
    });
  const autoEligible = floored === 'low' && policy.promotion.autoPromoteLowRisk;
  if (floored === 'low' && !autoEligible) reasons.push({ code: 'auto_promotion_disabled', detail: null });
  return { tier: floored, autoEligible, reasons };
}
