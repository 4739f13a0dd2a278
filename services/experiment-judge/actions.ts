import type { Transaction } from 'kysely';
import type { TrafficSplit } from '../../lib/contracts/types.generated.ts';
import { setLiveVersion } from '../../lib/db/repositories/agents.ts';
import { decideApproval, recordAutoApproval, requestApproval } from '../../lib/db/repositories/approvals.ts';
import type { AuditEntry } from '../../lib/db/repositories/audit.ts';
import { updateExperiment, type ExperimentPatch } from '../../lib/db/repositories/experiments.ts';
import { closeSession } from '../../lib/db/repositories/sessions.ts';
import type { Database } from '../../lib/db/schema.ts';
import { candidateShare } from '../../lib/experiments/buckets.pure.ts';
import { experimentActors } from '../../lib/experiments/state.pure.ts';
import { isTerminal, storedStatus } from '../../lib/experiments/status.pure.ts';
import { runCountsOf } from './analysis.pure.ts';
import type { EmittedEvent } from '../../lib/kafka/batch.ts';
import type { DecisionOutcome, Fold } from './fold.pure.ts';
import { approvalRequestedEvent, promotedEvent, stateEvent, verdictEvent, verdictEventId } from './events.pure.ts';
import type { JudgeMetrics } from './metrics.ts';
import type { DecisionAuditPayload } from './replay.pure.ts';
import { dropJoinState } from './store.ts';

type Trx = Transaction<Database>;

const noSplit: TrafficSplit = { candidateBasisPoints: 0, baselineBasisPoints: 0, shadowSampleBasisPoints: 0 };

function auditAction(outcome: DecisionOutcome): string {
  const { action, status } = outcome.judgement.decision;
  switch (action) {
    case 'promote':
      return 'experiment.promoted';
    case 'request_approval':
      return 'experiment.approval_requested';
    case 'ramp':
      return 'experiment.ramped';
    case 'pause':
      return 'experiment.paused';
    case 'reject':
      return 'experiment.rejected';
    case 'fail':
      return status === 'inconclusive' ? 'experiment.inconclusive' : 'experiment.failed';
    default:
      return outcome.after.status === 'running' && outcome.before.status === 'awaiting_approval'
        ? 'experiment.resumed'
        : 'experiment.verdict';
  }
}

/**
 * Carries out the decisions of a batch, in order, in the batch's transaction: the experiment row under its version
 * check, approvals, the live version, the session, the join state of an ended experiment; returns the events to
 * publish (through the runtime's outbox) and the audit entries to append (last, so that the chain is locked briefly).
 */
export async function carryOut(
  trx: Trx,
  fold: Fold,
  metrics: JudgeMetrics,
): Promise<{ emitted: EmittedEvent[]; audits: AuditEntry[] }> {
  const emitted: EmittedEvent[] = [];
  const audits: AuditEntry[] = [];
  for (const outcome of fold.outcomes) {
    const { before, after } = outcome;
    const { decision, analysis } = outcome.judgement;
    const at = new Date(outcome.inputs.now);
    const key = after.agentId;
    const codes = decision.reasons.map((r) => r.code).join(', ');
    metrics.decisions.inc({ decision: decision.action });

    if (outcome.verdictSeq !== null)
      emitted.push({ topic: 'learning.experiment.verdict.v1', key, value: verdictEvent(outcome) });

    const payload: DecisionAuditPayload = {
      kind: 'judge.decision',
      decision,
      statistics: analysis.statistics,
      primaryDetail: analysis.primaryDetail,
      inputs: outcome.inputs,
      policyVersion: after.policy.policyVersion,
      experimentVersion: { before: before.version, after: after.version },
      verdictEventId: outcome.verdictSeq !== null ? verdictEventId(outcome) : null,
      causeEventId: outcome.causeEventId,
    };
    // Stamped with the wall clock when written; the decision's own clock (event time) is inputs.now.
    audits.push({
      actor: experimentActors.judge,
      action: auditAction(outcome),
      agent_id: after.agentId,
      subject_type: 'experiment',
      subject_id: after.id,
      payload,
    });

    const ended = isTerminal(after.status);
    if (after.version !== before.version) {
      const counts = runCountsOf(after.mode, outcome.inputs.statistics);
      const patch: ExperimentPatch = {
        status: storedStatus(after.status),
        baseline_run_count: counts.baseline,
        candidate_run_count: counts.candidate,
        shadow_run_count: counts.shadow,
      };
      if (decision.nextTrafficSplit) {
        patch.traffic_split = after.trafficSplit;
        patch.candidate_share = candidateShare(after.mode, after.trafficSplit);
        patch.ramp_step_index = after.rampStepIndex;
      }
      if (ended) {
        // Over: nothing more is routed to the candidate, whatever reads the split.
        after.trafficSplit = noSplit;
        patch.traffic_split = noSplit;
        patch.candidate_share = 0;
        patch.decision = {
          outcome: after.status,
          action: decision.action,
          reasons: decision.reasons,
          verdictEventId: outcome.verdictSeq !== null ? verdictEventId(outcome) : null,
          statistics: analysis.statistics,
        };
      }
      const updated = await updateExperiment(trx, after.id, before.version, patch);
      // The row is locked for this batch (store.ts), so the version check can only fail if something bypassed it.
      if (!updated.ok || updated.experiment.version !== after.version)
        throw new Error(
          `experiment ${after.id}: update at version ${before.version} failed (${JSON.stringify(updated)})`,
        );
      emitted.push({ topic: 'learning.experiment.state.v1', key, value: stateEvent(outcome, counts) });
    }

    const approval = outcome.approval;
    // An answered request is recorded as answered (the control plane usually has; the approvals row decides once).
    if (approval?.record) {
      await decideApproval(trx, approval.id, {
        decision: approval.decision,
        approver: approval.approver ?? `${approval.source}:unknown`,
        decided_at: at,
      });
    }
    if (approval) metrics.approvals.inc({ outcome: approval.decision });

    switch (decision.action) {
      case 'promote': {
        const manual = decision.promotionMode === 'manual';
        const approvalId = manual ? approval!.id : `${after.id}:auto-approval`;
        if (!manual)
          await recordAutoApproval(trx, {
            id: approvalId,
            experiment_id: after.id,
            proposal_id: after.proposalId,
            reason: codes,
            approver: experimentActors.judge,
            decided_at: at,
          });
        await setLiveVersion(trx, after.agentId, after.candidateVersionId);
        const promoted = promotedEvent(outcome, approvalId);
        emitted.push({ topic: 'learning.version.promoted.v1', key, value: promoted });
        metrics.promotions.inc({ mode: promoted.mode });
        audits.push({
          actor: experimentActors.judge,
          action: 'version.promoted',
          agent_id: after.agentId,
          subject_type: 'version',
          subject_id: after.candidateVersionId,
          payload: { ...promoted, promotedAt: promoted.promotedAt.toISOString() },
        });
        break;
      }
      case 'request_approval': {
        const pending = after.pendingApproval!;
        await requestApproval(trx, {
          id: pending.id,
          experiment_id: after.id,
          proposal_id: after.proposalId,
          requested_at: at,
          expires_at: pending.expiresAt === null ? null : new Date(pending.expiresAt),
        });
        const session = after.sessionId
          ? await trx
              .selectFrom('sessions')
              .select(['trigger', 'started_by'])
              .where('id', '=', after.sessionId)
              .executeTakeFirst()
          : undefined;
        const startedBy = session?.trigger === 'manual' ? session.started_by : null;
        emitted.push({
          topic: 'learning.approval.requested.v1',
          key,
          value: approvalRequestedEvent(outcome, startedBy),
        });
        metrics.approvals.inc({ outcome: 'requested' });
        break;
      }
      case 'reject':
        if (!approval && before.pendingApproval) {
          await decideApproval(trx, before.pendingApproval.id, {
            decision: 'rejected',
            approver: experimentActors.judge,
            reason: 'expired',
            decided_at: at,
          });
          metrics.approvals.inc({ outcome: 'expired' });
        }
        break;
      case 'fail':
        for (const test of analysis.statistics.guardrails)
          if (test.outcome === 'regressed') metrics.guardrailRegressions.inc({ metric: test.metric });
        break;
      case 'pause':
        metrics.srmAlerts.inc();
        break;
      default:
        break;
    }
    if (decision.withdrawApproval && before.pendingApproval) {
      await decideApproval(trx, before.pendingApproval.id, {
        decision: 'rejected',
        approver: experimentActors.judge,
        reason: `withdrawn: ${codes}`,
        decided_at: at,
      });
      metrics.approvals.inc({ outcome: 'withdrawn' });
    }

    if (ended) {
      if (after.sessionId)
        await closeSession(trx, after.sessionId, {
          status: 'closed',
          reason: `experiment ${after.status}: ${codes}`,
          closed_at: at,
        });
      const waiting = await dropJoinState(trx, after.id);
      const judge = fold.world.judges.get(after.id)!;
      if (waiting > 0) judge.ignored['unassigned'] = (judge.ignored['unassigned'] ?? 0) + waiting;
      metrics.events.inc({ kind: 'observation', outcome: 'unassigned' }, waiting);
    }
  }
  return { emitted, audits };
}
