import type { ExperimentState, SessionTriggered, VersionPromoted } from '../../lib/contracts/types.generated.ts';
import type { LearningPolicy } from '../../lib/policy/policy.ts';
import { slackDate } from './blocks.pure.ts';

/** An optional notification: which policy switch enables it, and its text (mrkdwn). */
export interface Notification {
  agentId: string;
  setting: keyof LearningPolicy['notifications']['slack'];
  text: string;
}

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The notification an event makes, if any, in the style of Flagger's Slack alerts: one line saying what happened to
 * which agent, and why. Only a failed experiment among the state changes; every promotion (auto or manual).
 */
export function notificationOf(
  event:
    | { topic: 'learning.session.triggered.v1'; value: SessionTriggered }
    | { topic: 'learning.experiment.state.v1'; value: ExperimentState }
    | { topic: 'learning.version.promoted.v1'; value: VersionPromoted },
): Notification | null {
  switch (event.topic) {
    case 'learning.session.triggered.v1': {
      const s = event.value;
      const why =
        s.trigger === 'manual'
          ? `started by hand${s.requestedBy ? ` by ${escapeText(s.requestedBy)}` : ''}`
          : s.trigger === 'scheduled'
            ? 'on schedule'
            : `thresholds crossed: ${s.thresholdsCrossed.map((t) => t.metric.replace(/_/g, ' ')).join(', ') || 'none'}`;
      return {
        agentId: s.agentId,
        setting: 'sessionOpened',
        text: `:mag: *${escapeText(s.agentId)}*: learning session opened ${slackDate(s.triggeredAt)} (${why})`,
      };
    }
    case 'learning.experiment.state.v1': {
      const e = event.value;
      if (e.status !== 'failed') return null;
      return {
        agentId: e.agentId,
        setting: 'experimentFailed',
        text: `:warning: *${escapeText(e.agentId)}*: experiment ${escapeText(e.experimentId)} failed ${slackDate(e.changedAt)}${e.reason ? `: ${escapeText(e.reason)}` : ''}; traffic is back on the baseline`,
      };
    }
    case 'learning.version.promoted.v1': {
      const p = event.value;
      const how = p.mode === 'manual' ? `approved by ${escapeText(p.approver ?? 'unknown')}` : p.mode;
      return {
        agentId: p.agentId,
        setting: 'promoted',
        text: `:rocket: *${escapeText(p.agentId)}*: version ${escapeText(p.promotedVersionId)} promoted ${slackDate(p.promotedAt)} (${how}${p.riskTier ? `, ${p.riskTier} risk` : ''})`,
      };
    }
  }
}
