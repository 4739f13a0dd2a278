import { describe, expect, it } from 'vitest';
import { avroType } from '../../../lib/contracts/schemas.ts';
import { versionPromotedEvent } from '../../../lib/experiments/promotion.pure.ts';

const facts = {
  agentId: 'agent-1',
  previousVersionId: 'v1',
  promotedVersionId: 'v2',
  promotedAt: new Date('2026-03-01T12:00:00Z'),
  reason: 'primary_better_sustained',
};
const experiment = { experimentId: 'exp-1', proposalId: 'p-1', approvalId: 'a-1', riskTier: 'high' } as const;

describe('the version promoted event', () => {
  it("of an experiment's winner has one id per experiment, and names its approver only when a person approved", () => {
    const auto = versionPromotedEvent(facts, { by: 'experiment', ...experiment, mode: 'auto', approver: 'ignored' });
    const manual = versionPromotedEvent(facts, { by: 'experiment', ...experiment, mode: 'manual', approver: 'ann' });
    expect(auto).toMatchObject({
      eventId: 'exp-1:promoted',
      mode: 'auto',
      approvalDecision: 'auto_approved',
      approver: null,
    });
    expect(manual).toMatchObject({
      eventId: 'exp-1:promoted',
      mode: 'manual',
      approvalDecision: 'approved',
      approver: 'ann',
    });
    expect(avroType('learning.version.promoted.v1').isValid(manual)).toBe(true);
  });

  it('of a version made live by hand names the person and no experiment', () => {
    const hand = versionPromotedEvent(facts, { by: 'hand', approver: 'bob', changeId: 'c-1' });
    expect(hand).toMatchObject({
      eventId: 'agent-1:live:c-1',
      mode: 'manual',
      experimentId: null,
      approvalDecision: null,
      approver: 'bob',
      riskTier: null,
    });
    expect(avroType('learning.version.promoted.v1').isValid(hand)).toBe(true);
  });
});
