import type { Kafka } from 'kafkajs';
import { freshDatabase, type FreshDatabase } from '../setup/database.ts';
import { testClients } from './clients.ts';
import { createCatalogTopics, topicPrefix } from './kafka-topics.ts';

export interface Isolated {
  prefix: string;
  database: FreshDatabase;
  /** What a service needs on the shared stack: this test's database and topic prefix, and quick consumer groups. */
  env: NodeJS.ProcessEnv;
}

/**
 * A test's own world on the shared stack: every catalog topic under a new prefix, a new database (dropped by `cleanup`),
 * and the environment a service started on them needs; `env` adds to or overrides it.
 */
export async function isolated(
  kafka: Kafka,
  label: string,
  cleanup: (undo: () => Promise<unknown>) => void,
  env: NodeJS.ProcessEnv = {},
): Promise<Isolated> {
  const prefix = topicPrefix(label);
  await createCatalogTopics(kafka, prefix);
  const database = await freshDatabase();
  cleanup(() => database.drop());
  return {
    prefix,
    database,
    env: {
      ...testClients('isolated').shared,
      DATABASE_URL: database.url,
      LEARNLOOP_TOPIC_PREFIX: prefix,
      // A killed or stopped member's partitions move on in seconds, not the production default of 30.
      LEARNLOOP_KAFKA_SESSION_TIMEOUT_MS: '6000',
      LEARNLOOP_KAFKA_HEARTBEAT_INTERVAL_MS: '500',
      ...env,
    },
  };
}
