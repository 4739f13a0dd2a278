import type { Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';
import { connectionSchema, loadConfig } from './config.ts';
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
}

/** Connections for one service, closed by the process's shutdown after the service's own stop hook. */
export function connect(ctx: ServiceContext, clientId: string): Connections {
  const env = loadConfig(connectionSchema, ctx.env);
  const db = createDb({ url: env.DATABASE_URL, logger: ctx.logger });
  ctx.shutdown.add(`${clientId}:database`, () => db.destroy());
  return {
    kafka: createKafka({ brokers: env.KAFKA_BROKERS, clientId, logger: ctx.logger }),
    db,
    databaseUrl: env.DATABASE_URL,
    serde: createSerde({ registryUrl: env.SCHEMA_REGISTRY_URL }),
  };
}
