import type { RiskTier, VersionPromoted } from '../contracts/types.generated.ts';

/**
 * learning.version.promoted.v1, built in one place: the judge promotes an experiment's winner (automatically, or after
 * a person approved it), and a person makes a version live by hand through the control plane. The routers serve the
 * newest promotion to every run.
 */

export type Promotion =
  | {
      by: 'experiment';
      experimentId: string;
      proposalId: string;
      approvalId: string;
      riskTier: RiskTier;
      /** auto: low risk, no person involved; manual: after `approver` approved it. */
      mode: 'auto' | 'manual';
      approver: string | null;
    }
  /** A version made live by hand: `changeId` tells one such change from the next. */
  | { by: 'hand'; approver: string; changeId: string };

export function versionPromotedEvent(
  facts: {
    agentId: string;
    previousVersionId: string | null;
    promotedVersionId: string;
    promotedAt: Date;
    reason: string | null;
  },
  promotion: Promotion,
): VersionPromoted {
  if (promotion.by === 'hand') {
    return {
      eventId: `${facts.agentId}:live:${promotion.changeId}`,
      ...facts,
      mode: 'manual',
      experimentId: null,
      proposalId: null,
      approvalId: null,
      approvalDecision: null,
      approver: promotion.approver,
      riskTier: null,
    };
  }
  const manual = promotion.mode === 'manual';
  return {
    // An experiment promotes once: the same promotion always has the same id.
    eventId: `${promotion.experimentId}:promoted`,
    ...facts,
    mode: promotion.mode,
    experimentId: promotion.experimentId,
    proposalId: promotion.proposalId,
    approvalId: promotion.approvalId,
    approvalDecision: manual ? 'approved' : 'auto_approved',
    approver: manual ? promotion.approver : null,
    riskTier: promotion.riskTier,
  };
}
