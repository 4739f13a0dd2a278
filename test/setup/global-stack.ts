import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { createKafka } from '../../lib/kafka/client.ts';
import { createLogger } from '../../lib/logging.ts';
import { parseConfig, connectionSchema } from '../../lib/config.ts';
import { parseStackSettings } from '../../lib/stack/settings.ts';
import { stackUp } from '../../lib/stack/stack.ts';
import type { TestConnection } from './connection.ts';
import { dockerEngineAnswers, startContainers } from './docker.ts';

/**
 * Integration tests run against real Kafka, a real schema registry and a real Postgres: the ones the environment names,
 * else containers when a Docker engine answers, else the local stack (`learnloop stack up`), which stays up afterwards
 * so that the next run starts in a second.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const fromEnv = parseConfig(connectionSchema, process.env);
  let connection: TestConnection;
  let teardown: (() => Promise<void>) | undefined;
  if (fromEnv.ok) {
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL } = fromEnv.value;
    connection = { KAFKA_BROKERS: KAFKA_BROKERS.join(','), SCHEMA_REGISTRY_URL, DATABASE_URL, source: 'environment' };
  } else if (dockerEngineAnswers()) {
    const containers = await startContainers();
    connection = { ...(containers.env as Omit<TestConnection, 'source'>), source: 'docker' };
    teardown = containers.stop;
  } else {
    const settings = parseStackSettings(process.env);
    if (!settings.ok) throw settings.error;
    const env = await stackUp(settings.value, (line) => process.stderr.write(`stack: ${line}\n`));
    connection = { ...(env as Omit<TestConnection, 'source'>), source: 'local stack' };
  }
  process.stderr.write(
    `integration tests use ${connection.source}: ${connection.KAFKA_BROKERS}, ${connection.SCHEMA_REGISTRY_URL}, ${connection.DATABASE_URL}\n`,
  );
  project.provide('connection', connection);
  // Every topic a test makes is named under this run (test/helpers/kafka-topics.ts topicPrefix), so that the run can
  // delete its own topics when it ends: a broker that keeps every run's partitions runs out of heap after a few dozen.
  const run = randomBytes(3).toString('hex');
  process.env['LEARNLOOP_TEST_RUN'] = run;
  return async () => {
    await deleteRunTopics(connection.KAFKA_BROKERS, run);
    await teardown?.();
  };
}

async function deleteRunTopics(brokers: string, run: string): Promise<void> {
  const kafka = createKafka({
    brokers: brokers.split(','),
    clientId: 'test-teardown',
    logger: createLogger({ level: 'error', write: () => {} }),
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`t-${run}-`));
    for (let i = 0; i < topics.length; i += 200)
      await admin.deleteTopics({ topics: topics.slice(i, i + 200), timeout: 60_000 });
    process.stderr.write(`integration tests: deleted this run's ${topics.length} topics\n`);
  } catch (err) {
    process.stderr.write(
      `integration tests: could not delete this run's topics: ${err instanceof Error ? err.message : String(err)}\n`,
    );
  } finally {
    await admin.disconnect();
  }
}
