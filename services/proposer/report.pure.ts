import type { ProposedChange, SessionTriggered } from '../../lib/contracts/types.generated.ts';
import { configParts, type AgentConfig } from '../../lib/agents/config.ts';
import type { SignalReport } from './generators/types.pure.ts';

/** The session's signals for a generator: thresholds with how far they were crossed, failure categories ranked. */
export function signalReport(trigger: SessionTriggered): SignalReport {
  return {
    sessionId: trigger.sessionId,
    agentId: trigger.agentId,
    trigger: trigger.trigger,
    window: trigger.window,
    thresholdsCrossed: trigger.thresholdsCrossed.map((t) => ({ ...t, by: t.observed - t.threshold })),
    failureCategories: [...trigger.topFailureCategories].sort((a, b) => b.count - a.count),
  };
}

const shown = (value: unknown) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // Events carry the change for people and tools to read; the full configuration is in the version itself.
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
};

/** The parts of the configuration a candidate changes, as the proposal event lists them. */
export function describeChanges(
  baseline: AgentConfig,
  candidate: AgentConfig,
  changed: readonly string[],
): ProposedChange[] {
  return configParts
    .filter((part) => changed.includes(part))
    .map((part) => ({ kind: part, path: part, before: shown(baseline[part]), after: shown(candidate[part]) }));
}
