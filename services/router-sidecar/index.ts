import { loadConfig, physicalNameFor } from '../../lib/config.ts';
import { createKafka } from '../../lib/kafka/client.ts';
import { createSerde } from '../../lib/kafka/serde.ts';
import type { ServiceDefinition } from '../../lib/service.ts';
import { startRouter } from './router.ts';
import { routerSettingsSchema } from './settings.pure.ts';

/**
 * router-sidecar: which agent version serves each run. Sticky hashed assignment, ramp, shadow sampling, run tagging,
 * fail-safe to the live version. HTTP on LEARNLOOP_ROUTER_HTTP_PORT, gRPC on LEARNLOOP_ROUTER_GRPC_PORT; docs/router.md.
 */
export const routerSidecar: ServiceDefinition = {
  name: 'router-sidecar',
  summary: 'assigns runs to experiment arms (HTTP 7070, gRPC 7071), tags enrolled runs, fails safe to the live version',
  async start(ctx) {
    const settings = loadConfig(routerSettingsSchema, ctx.env);
    const kafka = createKafka({
      brokers: settings.KAFKA_BROKERS,
      clientId: 'router-sidecar',
      logger: ctx.logger,
      metrics: ctx.metrics,
    });
    const router = await startRouter({
      kafka,
      physicalName: physicalNameFor(settings.LEARNLOOP_TOPIC_PREFIX),
      serde: createSerde({ registryUrl: settings.SCHEMA_REGISTRY_URL }),
      host: settings.LEARNLOOP_HOST,
      httpPort: settings.LEARNLOOP_ROUTER_HTTP_PORT,
      grpcPort: settings.LEARNLOOP_ROUTER_GRPC_PORT,
      token: settings.LEARNLOOP_ROUTER_TOKEN,
      maxStateAgeMs: settings.LEARNLOOP_ROUTER_MAX_STATE_AGE_MS,
      tagBufferSize: settings.LEARNLOOP_ROUTER_TAG_BUFFER,
      tagMaxDelayMs: settings.LEARNLOOP_ROUTER_TAG_MAX_DELAY_MS,
      maxBodyBytes: settings.LEARNLOOP_ROUTER_MAX_BODY_BYTES,
      logger: ctx.logger,
      metrics: ctx.metrics,
    });
    ctx.addReadiness({ name: 'state', check: router.ready });
    ctx.shutdown.add('router-sidecar', () => router.stop());
  },
};
