import { z } from 'zod';
import { connectionSchema, listenPort, namespaceSchema, positiveInt, processSchema } from '../../lib/config.ts';

/**
 * The router's settings. It needs Kafka and the registry but no Postgres: a sidecar beside every agent should not hold
 * database credentials, and everything it needs is on the two state topics.
 */
export const routerSettingsSchema = connectionSchema.pick({ KAFKA_BROKERS: true, SCHEMA_REGISTRY_URL: true }).extend({
  ...namespaceSchema.shape,
  LEARNLOOP_HOST: processSchema.shape.LEARNLOOP_HOST,
  LEARNLOOP_ROUTER_HTTP_PORT: listenPort.default(7070),
  LEARNLOOP_ROUTER_GRPC_PORT: listenPort.default(7071),
  /** When set, /v1/* and gRPC calls need `Authorization: Bearer <token>`. */
  LEARNLOOP_ROUTER_TOKEN: z.string().min(1).optional(),
  /**
   * Longer than this without confirming the state is read to its end (Kafka unreachable), the router stops enrolling:
   * a pause or failure published meanwhile would not be seen. The state is probed every second.
   */
  LEARNLOOP_ROUTER_MAX_STATE_AGE_MS: z.coerce
    .number()
    .int()
    .min(2000, 'must be at least 2000 (the state is probed every second)')
    .default(30_000),
  /** Tags buffered for publishing at most; when full, runs are not enrolled. */
  LEARNLOOP_ROUTER_TAG_BUFFER: positiveInt.default(10_000),
  /** The oldest unpublished tag may wait this long; beyond it Kafka counts as down and runs are not enrolled. */
  LEARNLOOP_ROUTER_TAG_MAX_DELAY_MS: positiveInt.default(5_000),
  /** Larger request bodies get 400. */
  LEARNLOOP_ROUTER_MAX_BODY_BYTES: positiveInt.default(16_384),
});
