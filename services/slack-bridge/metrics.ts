import { Counter, type Registry } from 'prom-client';

export const interactionOutcomes = [
  'decided',
  'modal_opened',
  'refused_signature',
  'refused_allow_list',
  'refused_four_eyes',
  'stale',
  'duplicate',
  'invalid',
  'ignored',
] as const;
export type InteractionOutcome = (typeof interactionOutcomes)[number];

export interface SlackMetrics {
  posted: Counter;
  updated: Counter;
  interactions: Counter<'outcome'>;
  apiErrors: Counter<'code'>;
}

export function slackMetrics(registry: Registry): SlackMetrics {
  const registers = [registry];
  return {
    posted: new Counter({
      name: 'learnloop_slack_messages_posted_total',
      help: 'Approval request messages posted to Slack (chat.postMessage that succeeded).',
      registers,
    }),
    updated: new Counter({
      name: 'learnloop_slack_messages_updated_total',
      help: 'Approval request messages updated with what happened (chat.update that succeeded).',
      registers,
    }),
    interactions: new Counter({
      name: 'learnloop_slack_interactions_total',
      help: 'Requests to /slack/interactions by outcome: decided, modal_opened, refused_signature, refused_allow_list, refused_four_eyes, stale, duplicate, invalid, ignored.',
      labelNames: ['outcome'],
      registers,
    }),
    apiErrors: new Counter({
      name: 'learnloop_slack_api_errors_total',
      help: "Slack Web API calls that failed, by Slack's error code (invalid_auth, channel_not_found, ratelimited, unreachable, http_5xx, ...).",
      labelNames: ['code'],
      registers,
    }),
  };
}
