import { connectionSchema, loadConfig, namespaceSchema } from '../lib/config.ts';
import { registerSchemas } from '../lib/contracts/register.ts';
import { applyTopics } from '../lib/contracts/topics-apply.ts';
import { createDb } from '../lib/db/index.ts';
import { migrateToLatest } from '../lib/db/migrate.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { createLogger } from '../lib/logging.ts';

/**
 * What `learnloop start` does before running the services, so that a fresh stack works at once: the database
 * migrated, every topic of the catalog created, every schema registered. Each step is idempotent.
 */
export async function prepareInfrastructure(env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<void> {
  const config = loadConfig(connectionSchema.extend(namespaceSchema.shape), env);
  const logger = createLogger({ level: 'warn', write: (line) => process.stderr.write(line) });

  const db = createDb({ url: config.DATABASE_URL, max: 1, logger });
  try {
    const applied = await migrateToLatest(db);
    progress(
      `database: ${applied.length === 0 ? 'up to date' : `applied ${applied.map((m) => m.migrationName).join(', ')}`}`,
    );
  } finally {
    await db.destroy();
  }

  const admin = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'learnloop-start', logger }).admin();
  await admin.connect();
  try {
    const prefix = config.LEARNLOOP_TOPIC_PREFIX;
    const topics = await applyTopics({ admin, ...(prefix ? { prefix: `${prefix}.` } : {}) });
    const changed = topics.filter((t) => t.actions.length > 0).length;
    progress(`topics: ${topics.length} in the catalog, ${changed} created or updated`);
  } finally {
    await admin.disconnect();
  }

  const subjects = await registerSchemas({ registryUrl: config.SCHEMA_REGISTRY_URL });
  progress(
    `schemas: ${subjects.length} subjects, ${subjects.filter((s) => s.action === 'registered').length} newly registered`,
  );
}
