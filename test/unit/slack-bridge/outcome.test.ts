import { describe, expect, it } from 'vitest';
import type { ExperimentState } from '../../../lib/contracts/types.generated.ts';
import { slackMessageStates } from '../../../lib/db/schema.ts';
import type { Outcome } from '../../../services/slack-bridge/blocks.pure.ts';
import { nextShown, outcomeOfState, stateOf } from '../../../services/slack-bridge/outcome.pure.ts';
import { sampleEvents } from '../../fixtures/events.ts';

const at = '2026-03-01T12:00:00.000Z';
const o = (kind: Outcome['kind']): Outcome => ({ kind, by: 'x', at, reason: null });
const kinds = ['approved', 'rejected', 'expired', 'withdrawn', 'paused', 'ended'] as const;

describe('what a message shows next', () => {
  it('a decision is final: nothing replaces it, not even another decision', () => {
    const decided = { state: 'decided' as const, outcome: o('approved') };
    for (const kind of kinds) expect(nextShown(decided, o(kind))).toBeNull();
    expect(nextShown(decided, null)).toBeNull();
  });

  it("a person's decision replaces whatever an open or ended request showed", () => {
    for (const state of slackMessageStates.filter((s) => s !== 'decided'))
      for (const decision of ['approved', 'rejected'] as const)
        expect(nextShown({ state, outcome: state === 'pending' ? null : o('ended') }, o(decision))).toEqual({
          state: 'decided',
          outcome: o(decision),
        });
  });

  it('other outcomes move only an open request; a pause that ends shows the buttons again', () => {
    const pending = { state: 'pending' as const, outcome: null };
    const paused = { state: 'paused' as const, outcome: o('paused') };
    expect(nextShown(pending, o('paused'))).toEqual(paused);
    expect(nextShown(paused, o('paused'))).toBeNull();
    expect(nextShown(paused, null)).toEqual(pending);
    expect(nextShown(pending, null)).toBeNull();
    expect(nextShown(paused, o('expired'))).toEqual({ state: 'expired', outcome: o('expired') });
    expect(nextShown(pending, o('withdrawn'))).toEqual({ state: 'withdrawn', outcome: o('withdrawn') });
    for (const closed of ['expired', 'withdrawn'] as const)
      for (const kind of ['expired', 'withdrawn', 'paused', 'ended'] as const)
        expect(nextShown({ state: closed, outcome: o(closed) }, o(kind))).toBeNull();
  });

  it('every outcome has its state', () => {
    expect(kinds.map((k) => stateOf(o(k)))).toEqual([
      'decided',
      'decided',
      'expired',
      'withdrawn',
      'paused',
      'withdrawn',
    ]);
    expect(stateOf(null)).toBe('pending');
  });
});

describe("an experiment's state, for its open request", () => {
  const base = sampleEvents()['learning.experiment.state.v1'] as ExperimentState;
  const of = (status: ExperimentState['status'], reason: string | null = null) =>
    outcomeOfState({ ...base, status, reason, changedBy: 'someone', changedAt: new Date(at) });

  it('awaiting approval reopens it, a pause holds it', () => {
    expect(of('awaiting_approval')).toBeNull();
    expect(of('paused', 'incident')).toEqual({ kind: 'paused', by: 'someone', at, reason: 'incident' });
  });

  it('a rejection for expiry is an expiry; other ends are withdrawals or ends, with the reason', () => {
    expect(of('rejected', 'approval_required: the approval request expired')).toMatchObject({ kind: 'expired' });
    expect(of('rejected', 'rejected by ann')).toMatchObject({ kind: 'ended', reason: 'rejected by ann' });
    expect(of('promoted')).toMatchObject({ kind: 'ended', reason: 'promoted' });
    for (const status of ['running', 'failed', 'inconclusive', 'cancelled'] as const)
      expect(of(status)).toMatchObject({ kind: 'withdrawn', by: 'someone', reason: status });
  });
});
