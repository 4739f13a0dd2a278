import type { Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { ConsumerConfig } from 'kafkajs';
import { z } from 'zod';
import { connectionSchema, loadConfig, namespaceSchema, physicalNameFor, positiveInt } from './config.ts';
import { createDb } from './db/index.ts';
import type { Database } from './db/schema.ts';
import { createKafka } from './kafka/client.ts';
import { createSerde, type Serde } from './kafka/serde.ts';
import type { ServiceContext } from './service.ts';

/** What a service talks to: built from KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL. */
export interface Connections {
  kafka: Kafka;
  db: Kysely<Database>;
  databaseUrl: string;
  serde: Serde;
  /** The physical name of a topic (or consumer group): the catalog's name, behind LEARNLOOP_TOPIC_PREFIX if set. */
  physicalName: (name: string) => string;
  /** Consumer group timing for the consumer runtime. */
  consumerConfig: Omit<ConsumerConfig, 'groupId'>;
}

const consumerSchema = z.object({
  // How long a member that stopped answering (crashed) keeps its partitions before the group moves them.
  LEARNLOOP_KAFKA_SESSION_TIMEOUT_MS: positiveInt.default(30_000),
  LEARNLOOP_KAFKA_HEARTBEAT_INTERVAL_MS: positiveInt.default(3_000),
});

/** Connections for one service, closed by the process's shutdown after the service's own stop hook. */
export function connect(ctx: ServiceContext, clientId: string): Connections {
  const env = loadConfig(connectionSchema.extend(namespaceSchema.shape).extend(consumerSchema.shape), ctx.env);
  const db = createDb({ url: env.DATABASE_URL, logger: ctx.logger });
  ctx.shutdown.add(`${clientId}:database`, () => db.destroy());
  return {
    kafka: createKafka({ brokers: env.KAFKA_BROKERS, clientId, logger: ctx.logger, metrics: ctx.metrics }),
    db,
    databaseUrl: env.DATABASE_URL,
    serde: createSerde({ registryUrl: env.SCHEMA_REGISTRY_URL }),
    physicalName: physicalNameFor(env.LEARNLOOP_TOPIC_PREFIX),
    consumerConfig: {
      sessionTimeout: env.LEARNLOOP_KAFKA_SESSION_TIMEOUT_MS,
      heartbeatInterval: env.LEARNLOOP_KAFKA_HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: Math.max(env.LEARNLOOP_KAFKA_SESSION_TIMEOUT_MS, 10_000),
    },
  };
}

/** The consumer-runtime options every service passes the same way: its group (under the prefix) and its connections. */
export function runtimeBase(ctx: ServiceContext, connections: Connections, service: string) {
  return {
    groupId: connections.physicalName(service),
    kafka: connections.kafka,
    db: connections.db,
    databaseUrl: connections.databaseUrl,
    serde: connections.serde,
    logger: ctx.logger,
    metrics: ctx.metrics,
    physicalName: connections.physicalName,
    consumerConfig: connections.consumerConfig,
  };
}
