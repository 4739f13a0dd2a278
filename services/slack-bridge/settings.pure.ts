import { z } from 'zod';
import { connectionSchema, listenPort, namespaceSchema, positiveInt, processSchema } from '../../lib/config.ts';

/** What configures the bridge; without them `run all` leaves it out (docs/slack-bridge.md). */
export const requiredSlackVariables = [
  'LEARNLOOP_SLACK_BOT_TOKEN',
  'LEARNLOOP_SLACK_SIGNING_SECRET',
  'LEARNLOOP_SLACK_CHANNEL',
] as const;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' });

export const slackBridgeSettingsSchema = connectionSchema.extend({
  ...namespaceSchema.shape,
  LEARNLOOP_HOST: processSchema.shape.LEARNLOOP_HOST,
  LEARNLOOP_SLACK_BOT_TOKEN: z.string().regex(/^xox[a-z]-\S+$/, 'must be a Slack bot token (xoxb-…)'),
  LEARNLOOP_SLACK_SIGNING_SECRET: z.string().min(16, 'must be the Slack app signing secret'),
  LEARNLOOP_SLACK_CHANNEL: z.string().regex(/^[CGD][A-Z0-9]+$/, 'must be a channel id such as C0123456789'),
  /** Slack's Web API; a local server speaking its protocol in tests. Ends with a slash, as @slack/web-api expects. */
  LEARNLOOP_SLACK_API_URL: httpUrl.default('https://slack.com/api/').transform((u) => (u.endsWith('/') ? u : `${u}/`)),
  LEARNLOOP_SLACK_BRIDGE_PORT: listenPort.default(7090),
  /** The learning page: each message links to `{url}/approvals/{approvalId}` when set. */
  LEARNLOOP_PAGE_URL: httpUrl.transform((u) => u.replace(/\/+$/, '')).optional(),
  /** How often pending messages are checked for expiry. */
  LEARNLOOP_SLACK_EXPIRY_CHECK_MS: positiveInt.default(5_000),
});

export type SlackBridgeSettings = z.infer<typeof slackBridgeSettingsSchema>;

/** The line `run all` logs when the bridge is not configured, naming what is missing; null when it is. */
export function notConfiguredLine(env: Record<string, string | undefined>): string | null {
  const missing = requiredSlackVariables.filter((name) => !env[name]);
  if (missing.length === 0) return null;
  return `slack-bridge not started: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set (docs/slack-bridge.md)`;
}
