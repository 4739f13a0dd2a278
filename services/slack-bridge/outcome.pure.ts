import type { ExperimentState } from '../../lib/contracts/types.generated.ts';
import type { SlackMessageState } from '../../lib/db/schema.ts';
import type { Outcome } from './blocks.pure.ts';

/** A message's state and what it shows, as the bridge keeps them (slack_messages). */
export interface Shown {
  state: SlackMessageState;
  outcome: Outcome | null;
}

export const stateOf = (outcome: Outcome | null): SlackMessageState => {
  if (outcome === null) return 'pending';
  switch (outcome.kind) {
    case 'approved':
    case 'rejected':
      return 'decided';
    case 'expired':
      return 'expired';
    case 'paused':
      return 'paused';
    default:
      return 'withdrawn';
  }
};

/**
 * What a message shows next, or null when `next` changes nothing. A person's decision (learning.approval.decided.v1)
 * is final and replaces whatever the message said before (the judge's state may have arrived first); anything else
 * only moves a request that is still open (pending or paused). A pause that ends shows the buttons again.
 */
export function nextShown(current: Shown, next: Outcome | null): Shown | null {
  if (current.state === 'decided') return null;
  if (next !== null && (next.kind === 'approved' || next.kind === 'rejected'))
    return { state: 'decided', outcome: next };
  if (current.state !== 'pending' && current.state !== 'paused') return null;
  if (next === null) return current.state === 'paused' ? { state: 'pending', outcome: null } : null;
  if (next.kind === 'paused' && current.state === 'paused') return null;
  return { state: stateOf(next), outcome: next };
}

/**
 * What an experiment's new state means for its open approval request: a pause holds it, a return to awaiting approval
 * reopens it (null: no outcome, the buttons), any other status ends it (the judge withdrew it, the request expired,
 * the experiment was decided).
 */
export function outcomeOfState(state: ExperimentState): Outcome | null {
  const at = state.changedAt.toISOString();
  switch (state.status) {
    case 'awaiting_approval':
      return null;
    case 'paused':
      return { kind: 'paused', by: state.changedBy, at, reason: state.reason };
    case 'rejected':
      if (state.reason !== null && /expired/i.test(state.reason))
        return { kind: 'expired', by: null, at, reason: null };
      return { kind: 'ended', by: state.changedBy, at, reason: state.reason ?? state.status };
    case 'promoted':
      return { kind: 'ended', by: state.changedBy, at, reason: state.reason ?? state.status };
    case 'running':
    case 'failed':
    case 'inconclusive':
    case 'cancelled':
      return { kind: 'withdrawn', by: state.changedBy, at, reason: state.reason ?? state.status };
  }
}
