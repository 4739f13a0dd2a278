import { Registry } from 'prom-client';
import { physicalNameFor } from '../../lib/config.ts';
import { addSlackApprover } from '../../lib/db/repositories/slack-approvers.ts';
import type { Database } from '../../lib/db/schema.ts';
import type { ApprovalRequested } from '../../lib/contracts/types.generated.ts';
import { createLogger } from '../../lib/logging.ts';
import { startSlackBridge, type RunningSlackBridge } from '../../services/slack-bridge/bridge.ts';
import { testClients } from './clients.ts';
import type { SlackServer } from './slack-server.ts';
import type { Kysely } from 'kysely';
import { sampleEvents } from '../fixtures/events.ts';

export interface TestBridge extends RunningSlackBridge {
  url: string;
  metrics: Registry;
}

/** The bridge in this process against the local Slack server, its topics and group under `prefix`. */
export async function startTestBridge(
  database: { db: Kysely<Database>; url: string },
  prefix: string,
  slack: SlackServer,
  options: { now?: () => Date; pageUrl?: string } = {},
): Promise<TestBridge> {
  const { kafka, serde } = testClients('slack-bridge-test');
  const metrics = new Registry();
  const physicalName = physicalNameFor(prefix);
  const running = await startSlackBridge({
    settings: {
      LEARNLOOP_HOST: '127.0.0.1',
      LEARNLOOP_SLACK_BOT_TOKEN: slack.token,
      LEARNLOOP_SLACK_SIGNING_SECRET: slack.signingSecret,
      LEARNLOOP_SLACK_CHANNEL: slack.channel,
      LEARNLOOP_SLACK_API_URL: slack.apiUrl,
      LEARNLOOP_SLACK_BRIDGE_PORT: 0,
      LEARNLOOP_PAGE_URL: options.pageUrl,
      LEARNLOOP_SLACK_EXPIRY_CHECK_MS: 200,
    },
    db: database.db,
    databaseUrl: database.url,
    kafka,
    serde,
    groupId: physicalName('slack-bridge'),
    physicalName,
    consumerConfig: { sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10_000 },
    logger: createLogger({ level: 'warn', write: (line) => process.stderr.write(line) }),
    metrics,
    ...(options.now ? { now: options.now } : {}),
    slackRetries: { retries: 2, minTimeout: 50, maxTimeout: 200 },
    backoff: { initialMs: 100, maxMs: 1000 },
  });
  const deadline = Date.now() + 60_000;
  while (!running.ready()) {
    if (Date.now() > deadline) throw new Error('the slack-bridge did not become ready in 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ...running, url: `http://127.0.0.1:${running.port}`, metrics };
}

/** An approval request as the judge publishes it, for `agentId`. */
export function approvalRequest(overrides: Partial<ApprovalRequested> & { approvalId: string }): ApprovalRequested {
  const base = sampleEvents()['learning.approval.requested.v1'];
  return {
    ...base,
    eventId: `${overrides.approvalId}:requested`,
    requestedAt: new Date(),
    expiresAt: new Date(Date.now() + 3_600_000),
    ...overrides,
  };
}

export async function allowApprover(db: Kysely<Database>, slackUserId: string, approver: string): Promise<void> {
  await addSlackApprover(db, { slackUserId, approver }, 'test-admin');
}
