import { fieldIssues, type FieldIssue } from '../field-issues.ts';
import { defaultPolicy, learningPolicySchema, type LearningPolicy } from './policy.ts';

export type PolicyResult = { ok: true; policy: LearningPolicy } | { ok: false; issues: FieldIssue[]; errors: string[] };

function refused(issues: FieldIssue[]): PolicyResult {
  return { ok: false, issues, errors: issues.map((i) => `${i.field}: ${i.message}`) };
}

const tierRank = { low: 0, medium: 1, high: 2 } as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else (numbers, arrays) is replaced whole. */
function overlay(base: unknown, override: unknown): unknown {
  if (!isObject(base) || !isObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = overlay(base[key], value);
  return out;
}

/**
 * An agent's effective policy: its overrides laid over the central defaults, validated as a whole. Risk rules may
 * only be tightened: a looser edit ratio than the central one is refused, and so is nothing else (the minimum tier
 * can only raise tiers).
 */
export function resolvePolicy(overrides: unknown, base: LearningPolicy = defaultPolicy): PolicyResult {
  if (overrides !== undefined && overrides !== null && !isObject(overrides)) return refused([{ field: '(policy)', message: 'must be an object' }]);
  const parsed = learningPolicySchema.safeParse(overlay(base, overrides ?? {}));
  if (!parsed.success) {
    return refused(fieldIssues(parsed.error, '(policy)'));
  }
  const policy = parsed.data;
  if (policy.risk.lowRiskMaxEditRatio > base.risk.lowRiskMaxEditRatio) {
    return refused([
      {
        field: 'risk.lowRiskMaxEditRatio',
        message: `${policy.risk.lowRiskMaxEditRatio} would loosen the central ${base.risk.lowRiskMaxEditRatio}; a policy may only tighten risk rules`,
      },
    ]);
  }
  return { ok: true, policy };
}

/** The stricter of a computed tier and the policy's floor. */
export function applyTierFloor(tier: keyof typeof tierRank, policy: LearningPolicy): keyof typeof tierRank {
  return tierRank[tier] >= tierRank[policy.risk.minimumTier] ? tier : policy.risk.minimumTier;
}
