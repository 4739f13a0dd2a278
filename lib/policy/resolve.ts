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
 * The rules a policy may only tighten, each as "how the agent's value would loosen the central one": the risk rules
 * (what counts as low risk, the lowest tier), and what protects users from a risky candidate (a shadow test instead of
 * serving it, the guardrail margins, the error rates of the tests). Promotion mode, thresholds and pacing are the
 * agent's to choose.
 */
function loosenings(policy: LearningPolicy, base: LearningPolicy): FieldIssue[] {
  const out: FieldIssue[] = [];
  const looser = (field: string, value: unknown, central: unknown, why: string) =>
    out.push({
      field,
      message: `${JSON.stringify(value)} would loosen the central ${JSON.stringify(central)} (${why}); a policy may only tighten risk rules`,
    });
  if (policy.risk.lowRiskMaxEditRatio > base.risk.lowRiskMaxEditRatio) {
    looser(
      'risk.lowRiskMaxEditRatio',
      policy.risk.lowRiskMaxEditRatio,
      base.risk.lowRiskMaxEditRatio,
      'larger edits would count as low risk',
    );
  }
  if (tierRank[policy.risk.minimumTier] < tierRank[base.risk.minimumTier])
    looser('risk.minimumTier', policy.risk.minimumTier, base.risk.minimumTier, 'a lower floor');
  for (const tier of ['low', 'medium', 'high'] as const) {
    const mode = policy.experiment.modeByTier[tier];
    if (mode === 'ab' && base.experiment.modeByTier[tier] === 'shadow')
      looser(`experiment.modeByTier.${tier}`, mode, 'shadow', 'users would be served the candidate');
  }
  for (const [metric, margin] of Object.entries(policy.experiment.guardrailMargins)) {
    const central = base.experiment.guardrailMargins[metric as keyof typeof base.experiment.guardrailMargins];
    if (margin > central)
      looser(`experiment.guardrailMargins.${metric}`, margin, central, 'a larger regression would pass');
  }
  if (policy.experiment.alpha > base.experiment.alpha)
    looser('experiment.alpha', policy.experiment.alpha, base.experiment.alpha, 'more false promotions');
  if (policy.experiment.srmPValue < base.experiment.srmPValue)
    looser(
      'experiment.srmPValue',
      policy.experiment.srmPValue,
      base.experiment.srmPValue,
      'a broken split would go unnoticed longer',
    );
  return out;
}

/**
 * An agent's effective policy: its overrides laid over the central defaults, validated as a whole, and refused if it
 * loosens a rule that may only be tightened (loosenings above).
 */
export function resolvePolicy(overrides: unknown, base: LearningPolicy = defaultPolicy): PolicyResult {
  if (overrides !== undefined && overrides !== null && !isObject(overrides))
    return refused([{ field: '(policy)', message: 'must be an object' }]);
  const parsed = learningPolicySchema.safeParse(overlay(base, overrides ?? {}));
  if (!parsed.success) return refused(fieldIssues(parsed.error, '(policy)'));
  const looser = loosenings(parsed.data, base);
  return looser.length > 0 ? refused(looser) : { ok: true, policy: parsed.data };
}

/** The stricter of a computed tier and the policy's floor. */
export function applyTierFloor(tier: keyof typeof tierRank, policy: LearningPolicy): keyof typeof tierRank {
  return tierRank[tier] >= tierRank[policy.risk.minimumTier] ? tier : policy.risk.minimumTier;
}
