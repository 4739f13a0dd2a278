import type { DecisionOutcome } from './fold.pure.ts';
import { evaluate } from './evaluate.pure.ts';

/**
 * Recomputing a recorded decision: the audit entry of every judge decision holds its inputs (the experiment as the
 * judge saw it, its memory, the policy, the sufficient statistics, the time, the approval it answered); running the
 * judge's logic on them again must give the recorded statistics and decision. Numbers are compared to 1e-9 relative,
 * so that a change of floating-point evaluation order is not reported as a different decision.
 */

/** What the audit entry of a decision holds: its inputs, so that `learnloop audit replay <id>` can recompute it. */
export interface DecisionAuditPayload {
  kind: 'judge.decision';
  decision: DecisionOutcome['judgement']['decision'];
  statistics: DecisionOutcome['judgement']['analysis']['statistics'];
  primaryDetail: DecisionOutcome['judgement']['analysis']['primaryDetail'];
  inputs: DecisionOutcome['inputs'];
  policyVersion: number;
  experimentVersion: { before: number; after: number };
  verdictEventId: string | null;
  causeEventId: string;
}

export interface ReplayResult {
  /** False when the entry is not a judge decision (nothing to recompute). */
  replayable: boolean;
  matches: boolean;
  /** Paths where the recomputation differs: `decision.action: recorded "promote", recomputed "continue"`. */
  differences: string[];
  recorded?: { action: string; reasons: string[] };
  recomputed?: { action: string; reasons: string[] };
}

function compare(recorded: unknown, recomputed: unknown, path: string, out: string[]): void {
  if (typeof recorded === 'number' && typeof recomputed === 'number') {
    const scale = Math.max(1, Math.abs(recorded), Math.abs(recomputed));
    if (!(Math.abs(recorded - recomputed) <= 1e-9 * scale))
      out.push(`${path}: recorded ${recorded}, recomputed ${recomputed}`);
    return;
  }
  if (Array.isArray(recorded) && Array.isArray(recomputed)) {
    if (recorded.length !== recomputed.length)
      out.push(`${path}: recorded ${recorded.length} items, recomputed ${recomputed.length}`);
    for (let i = 0; i < Math.min(recorded.length, recomputed.length); i++)
      compare(recorded[i], recomputed[i], `${path}[${i}]`, out);
    return;
  }
  if (recorded !== null && recomputed !== null && typeof recorded === 'object' && typeof recomputed === 'object') {
    const a = recorded as Record<string, unknown>;
    const b = recomputed as Record<string, unknown>;
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      // JSON drops undefined properties: absent and undefined are the same.
      if (a[key] === undefined && b[key] === undefined) continue;
      compare(a[key], b[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  if (recorded !== recomputed)
    out.push(`${path}: recorded ${JSON.stringify(recorded)}, recomputed ${JSON.stringify(recomputed)}`);
}

function isDecisionPayload(payload: unknown): payload is DecisionAuditPayload {
  const p = payload as Partial<DecisionAuditPayload> | null;
  return (
    p?.kind === 'judge.decision' && typeof p.inputs === 'object' && p.inputs !== null && typeof p.decision === 'object'
  );
}

/** Recomputes an audit entry's decision from the inputs it recorded. */
export function replayAuditEntry(entry: { payload: unknown }): ReplayResult {
  if (!isDecisionPayload(entry.payload))
    return {
      replayable: false,
      matches: false,
      differences: ['not a decision of the experiment judge: nothing to recompute'],
    };
  const recorded = entry.payload;
  // The recorded inputs went through jsonb: a round trip makes the recomputation see exactly that.
  const { analysis, decision } = evaluate(
    JSON.parse(JSON.stringify(recorded.inputs)) as DecisionAuditPayload['inputs'],
  );
  const differences: string[] = [];
  compare(recorded.decision, JSON.parse(JSON.stringify(decision)), 'decision', differences);
  compare(recorded.statistics, JSON.parse(JSON.stringify(analysis.statistics)), 'statistics', differences);
  compare(recorded.primaryDetail, JSON.parse(JSON.stringify(analysis.primaryDetail)), 'primaryDetail', differences);
  return {
    replayable: true,
    matches: differences.length === 0,
    differences,
    recorded: { action: recorded.decision.action, reasons: recorded.decision.reasons.map((r) => r.code) },
    recomputed: { action: decision.action, reasons: decision.reasons.map((r) => r.code) },
  };
}
