import { z } from 'zod';
import { configChangeSchema, type AgentConfig, type ConfigChange } from '../../../lib/agents/config.ts';
import type {
  FailureCategorySummary,
  ThresholdCrossing,
  WindowSummary,
} from '../../../lib/contracts/types.generated.ts';

/** What a generator is told: the session's signals, ranked. */
export interface SignalReport {
  sessionId: string;
  agentId: string;
  trigger: string;
  window: WindowSummary;
  /** With `by`: how far beyond the threshold the figure was. */
  thresholdsCrossed: Array<ThresholdCrossing & { by: number }>;
  /** Most frequent first. */
  failureCategories: FailureCategorySummary[];
}

export interface Candidate {
  summary: string;
  change: ConfigChange;
  projectedCostDeltaUsd: number | null;
}

export type GeneratorResult = { ok: true; candidates: Candidate[] } | { ok: false; reason: string };

export interface Generator {
  name: string;
  generate(report: SignalReport, baseline: AgentConfig): Promise<GeneratorResult>;
}

/** The answer an HTTP or language-model generator gives: one to k proposals. */
export const proposalsSchema = z.strictObject({
  proposals: z
    .array(
      z.strictObject({
        summary: z.string().min(1).max(2000),
        change: configChangeSchema,
        projectedCostDeltaUsd: z.number().nullable().default(null),
      }),
    )
    .min(1),
});

/** Validates an answer and keeps at most `max` proposals; the reason names what was wrong. */
export function parseProposals(body: unknown, max: number): GeneratorResult {
  const parsed = proposalsSchema.safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      reason: `invalid proposals: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(answer)'}: ${i.message}`).join('; ')}`,
    };
  }
  return { ok: true, candidates: parsed.data.proposals.slice(0, max) };
}
