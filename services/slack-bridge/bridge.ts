import type { ConsumerConfig, Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database } from '../../lib/db/schema.ts';
import { portInUse, startOpsServer, type RouteHandler } from '../../lib/http.ts';
import { startConsumerRuntime } from '../../lib/kafka/consumer-runtime.ts';
import type { Serde } from '../../lib/kafka/serde.ts';
import type { Logger } from '../../lib/logging.ts';
import { approversRoute } from './approvers-api.ts';
import { bridgeHandler } from './handler.ts';
import { interactionsRoute } from './interactions.ts';
import type { Messages } from './messages.ts';
import { slackMetrics } from './metrics.ts';
import type { SlackBridgeSettings } from './settings.pure.ts';
import { slackApi } from './slack-api.ts';
import { startSync } from './sync.ts';

export interface SlackBridgeOptions {
  settings: Pick<
    SlackBridgeSettings,
    | 'LEARNLOOP_HOST'
    | 'LEARNLOOP_SLACK_BOT_TOKEN'
    | 'LEARNLOOP_SLACK_SIGNING_SECRET'
    | 'LEARNLOOP_SLACK_CHANNEL'
    | 'LEARNLOOP_SLACK_API_URL'
    | 'LEARNLOOP_SLACK_BRIDGE_PORT'
    | 'LEARNLOOP_PAGE_URL'
    | 'LEARNLOOP_SLACK_EXPIRY_CHECK_MS'
  >;
  db: Kysely<Database>;
  databaseUrl: string;
  kafka: Kafka;
  serde: Serde;
  /** The consumer group and outbox producer (the service's name under the topic prefix). */
  groupId: string;
  physicalName: (name: string) => string;
  consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
  logger: Logger;
  metrics: Registry;
  now?: () => Date;
  /** The Slack client's own retries (tests shorten them). */
  slackRetries?: { retries: number; minTimeout: number; maxTimeout: number };
  backoff?: { initialMs: number; maxMs: number };
}

export interface RunningSlackBridge {
  port: number;
  /** Partitions assigned and Slack not refusing the token or channel. */
  ready(): boolean;
  /** Interactions acknowledged but still being handled (tests wait on it). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** The bridge: the consumer that posts and updates messages, the interactions endpoint, and the sync loop. */
export async function startSlackBridge(options: SlackBridgeOptions): Promise<RunningSlackBridge> {
  const { settings, logger } = options;
  const now = options.now ?? (() => new Date());
  const metrics = slackMetrics(options.metrics);
  const slack = slackApi({
    token: settings.LEARNLOOP_SLACK_BOT_TOKEN,
    apiUrl: settings.LEARNLOOP_SLACK_API_URL,
    logger,
    metrics,
    ...(options.slackRetries ? { retries: options.slackRetries } : {}),
  });
  const messages: Messages = {
    db: options.db,
    slack,
    channel: settings.LEARNLOOP_SLACK_CHANNEL,
    pageUrl: settings.LEARNLOOP_PAGE_URL,
    metrics,
  };
  const runtime = await startConsumerRuntime({
    groupId: options.groupId,
    topics: [
      'learning.approval.requested.v1',
      'learning.approval.decided.v1',
      'learning.experiment.state.v1',
      'learning.session.triggered.v1',
      'learning.version.promoted.v1',
    ],
    handler: bridgeHandler(messages, logger),
    kafka: options.kafka,
    db: options.db,
    databaseUrl: options.databaseUrl,
    serde: options.serde,
    logger,
    metrics: options.metrics,
    physicalName: options.physicalName,
    ...(options.consumerConfig ? { consumerConfig: options.consumerConfig } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  const sync = startSync(messages, { intervalMs: settings.LEARNLOOP_SLACK_EXPIRY_CHECK_MS, logger, now });
  const interactions = interactionsRoute({
    ...messages,
    signingSecret: settings.LEARNLOOP_SLACK_SIGNING_SECRET,
    outbox: { producer: options.groupId, serde: options.serde, physicalName: options.physicalName },
    logger,
    now,
  });
  const approvers = approversRoute(options.db, logger);
  const routes: RouteHandler = (req, res) => interactions.route(req, res) || approvers(req, res);
  try {
    const server = await startOpsServer({
      host: settings.LEARNLOOP_HOST,
      port: settings.LEARNLOOP_SLACK_BRIDGE_PORT,
      registry: options.metrics,
      routes,
      logger,
    }).catch(portInUse('LEARNLOOP_SLACK_BRIDGE_PORT', settings.LEARNLOOP_HOST, settings.LEARNLOOP_SLACK_BRIDGE_PORT));
    return {
      port: server.port,
      ready: () => runtime.ready() && slack.healthy(),
      settled: interactions.settled,
      stop: async () => {
        await server.close();
        await interactions.settled();
        await sync.stop();
        await runtime.stop();
      },
    };
  } catch (err) {
    await sync.stop();
    await runtime.stop();
    throw err;
  }
}
