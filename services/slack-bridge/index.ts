import { loadConfig } from '../../lib/config.ts';
import { connect } from '../../lib/connections.ts';
import type { ServiceDefinition } from '../../lib/service.ts';
import { startSlackBridge } from './bridge.ts';
import { notConfiguredLine, slackBridgeSettingsSchema } from './settings.pure.ts';

/**
 * slack-bridge: posts each approval request to a Slack channel with Approve / Reject buttons, decides from signed
 * clicks of allow-listed approvers, and keeps each message true as decisions, pauses and expiries happen.
 * docs/slack-bridge.md.
 */
export const slackBridge: ServiceDefinition = {
  name: 'slack-bridge',
  summary: 'approval requests in Slack (7090): signed Approve / Reject clicks by allow-listed approvers',
  notConfigured: notConfiguredLine,
  async start(ctx) {
    const settings = loadConfig(slackBridgeSettingsSchema, ctx.env);
    const connections = connect(ctx, 'slack-bridge');
    const running = await startSlackBridge({
      settings,
      db: connections.db,
      databaseUrl: connections.databaseUrl,
      kafka: connections.kafka,
      serde: connections.serde,
      groupId: connections.physicalName('slack-bridge'),
      physicalName: connections.physicalName,
      consumerConfig: connections.consumerConfig,
      logger: ctx.logger,
      metrics: ctx.metrics,
    });
    ctx.logger.info('slack-bridge listening for interactions', { port: running.port });
    ctx.addReadiness({ name: 'slack', check: running.ready });
    ctx.shutdown.add('slack-bridge', () => running.stop());
  },
};
