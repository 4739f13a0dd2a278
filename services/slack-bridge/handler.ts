import type {
  ApprovalDecided,
  ApprovalRequested,
  ExperimentState,
  SessionTriggered,
  VersionPromoted,
} from '../../lib/contracts/types.generated.ts';
import type { Db } from '../../lib/db/schema.ts';
import type { BatchHandler } from '../../lib/kafka/batch.ts';
import { effectivePolicy } from '../../lib/policy/effective.ts';
import type { Logger } from '../../lib/logging.ts';
import type { Outcome } from './blocks.pure.ts';
import { openMessagesOf, postRequest, recordOutcome, showOutcome, type Messages } from './messages.ts';
import { notificationOf, type Notification } from './notifications.pure.ts';
import { outcomeOfState } from './outcome.pure.ts';

/**
 * The bridge's consumer: posts each approval request once, and keeps its message true as decisions
 * (learning.approval.decided.v1, from Slack, the API or the CLI) and the experiment's states (a pause, a withdrawal, an
 * end) arrive. A Slack outage throws SlackUnavailable, which pauses the partition until Slack answers (nothing lost,
 * nothing posted twice); a request that cannot be rendered throws a plain error, which dead-letters it with the reason.
 */
export function bridgeHandler(m: Messages, logger: Logger): BatchHandler {
  /** Posts an optional notification when the agent's policy asks for it (notifications.slack.*). */
  async function notify(db: Db, notification: Notification | null): Promise<void> {
    if (notification === null) return;
    const policy = await effectivePolicy(db, notification.agentId);
    if (!policy.ok || !policy.policy.notifications.slack[notification.setting]) return;
    await m.slack.postMessage(m.channel, notification.text, [
      { type: 'section', text: { type: 'mrkdwn', text: notification.text } },
    ]);
  }

  return async (trx, events) => {
    for (const event of events) {
      switch (event.topic) {
        case 'learning.approval.requested.v1': {
          const request = event.value as ApprovalRequested;
          if (await postRequest(m, request))
            logger.info('approval request posted', { approvalId: request.approvalId, agentId: request.agentId });
          break;
        }
        case 'learning.approval.decided.v1': {
          const d = event.value as ApprovalDecided;
          if (d.decision === 'auto_approved') break;
          const outcome: Outcome = {
            kind: d.source === 'expiry' ? 'expired' : d.decision,
            by: d.source === 'expiry' ? null : d.approver,
            at: d.decidedAt.toISOString(),
            reason: d.reason,
            source: d.source,
          };
          const changed = await recordOutcome(
            trx,
            { approvalId: d.approvalId, experimentId: d.experimentId, agentId: d.agentId, at: d.decidedAt },
            outcome,
          );
          if (changed) await showOutcome(m, changed, trx);
          break;
        }
        case 'learning.experiment.state.v1': {
          const state = event.value as ExperimentState;
          const outcome = outcomeOfState(state);
          for (const open of await openMessagesOf(trx, state.experimentId)) {
            const changed = await recordOutcome(
              trx,
              {
                approvalId: open.approvalId,
                experimentId: open.experimentId,
                agentId: open.agentId,
                at: state.changedAt,
              },
              outcome,
            );
            if (changed) await showOutcome(m, changed, trx);
          }
          await notify(trx, notificationOf({ topic: event.topic, value: state }));
          break;
        }
        case 'learning.session.triggered.v1':
          await notify(trx, notificationOf({ topic: event.topic, value: event.value as SessionTriggered }));
          break;
        case 'learning.version.promoted.v1':
          await notify(trx, notificationOf({ topic: event.topic, value: event.value as VersionPromoted }));
          break;
        default:
          throw new Error(`slack-bridge: no handler for ${event.topic}`);
      }
    }
    return [];
  };
}
