import type { LearningPolicy } from '../../../lib/policy/policy.ts';
import type { Candidate, Generator } from './types.pure.ts';

/**
 * The built-in generator: the agent's playbook (policy data) maps signals to changes. Rules match in the order of the
 * signals' importance (failure categories by frequency, then thresholds by how far they were crossed); each matching
 * rule is one candidate, up to the policy's maximum.
 */
export function playbookGenerator(settings: LearningPolicy['generator']): Generator {
  return {
    name: 'playbook',
    async generate(report, baseline) {
      const signals = [
        ...report.failureCategories.map((c) => ({ failureCategory: c.category })),
        ...[...report.thresholdsCrossed]
          .sort((a, b) => Math.abs(b.by) - Math.abs(a.by))
          .map((t) => ({ metric: t.metric })),
      ];
      const candidates: Candidate[] = [];
      const used = new Set<number>();
      for (const signal of signals) {
        settings.playbook.forEach((rule, index) => {
          if (used.has(index)) return;
          const matches =
            ('failureCategory' in signal && rule.when.failureCategory === signal.failureCategory) ||
            ('metric' in signal && rule.when.metric === signal.metric);
          if (!matches) return;
          used.add(index);
          const change = { ...rule.change };
          if (rule.appendInstructions)
            change.instructions = `${change.instructions ?? baseline.instructions}\n\n${rule.appendInstructions}`;
          candidates.push({ summary: rule.summary, change, projectedCostDeltaUsd: 0 });
        });
      }
      if (candidates.length === 0) return { ok: false, reason: "no playbook rule matches the session's signals" };
      return { ok: true, candidates: candidates.slice(0, settings.maxCandidates) };
    },
  };
}
