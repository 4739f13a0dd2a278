import { loadConfig } from '../../lib/config.ts';
import { connect } from '../../lib/connections.ts';
import type { ServiceDefinition } from '../../lib/service.ts';
import { startControlPlane } from './control-plane.ts';
import { controlPlaneSettingsSchema } from './settings.pure.ts';

/**
 * control-plane: the HTTP API where operators and approvers act (policies, pause, agents, approvals) and read
 * (experiments, status, audit). Its writes and the events they cause commit in one Postgres transaction; its own
 * outbox relay publishes the events. docs/control-plane.md.
 */
export const controlPlane: ServiceDefinition = {
  name: 'control-plane',
  summary:
    'the HTTP API (7080): policies, pause/resume, agents, approvals, experiments, status, audit; bearer tokens with roles',
  async start(ctx) {
    const settings = loadConfig(controlPlaneSettingsSchema, ctx.env);
    const connections = connect(ctx, 'control-plane');
    const running = await startControlPlane({
      db: connections.db,
      databaseUrl: connections.databaseUrl,
      kafka: connections.kafka,
      serde: connections.serde,
      physicalName: connections.physicalName,
      host: settings.LEARNLOOP_HOST,
      port: settings.LEARNLOOP_CONTROL_PLANE_PORT,
      maxBodyBytes: settings.LEARNLOOP_CONTROL_PLANE_MAX_BODY_BYTES,
      logger: ctx.logger,
      metrics: ctx.metrics,
      consumerConfig: connections.consumerConfig,
    });
    ctx.logger.info('control plane API listening', { port: running.port });
    ctx.addReadiness({ name: 'outbox-relay', check: running.ready });
    ctx.addReadiness({ name: 'read-models', check: running.readModelsReady });
    ctx.shutdown.add('control-plane', () => running.stop());
  },
};
