import type { TestProject } from 'vitest/node';
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
  process.stderr.write(`integration tests use ${connection.source}: ${connection.KAFKA_BROKERS}, ${connection.SCHEMA_REGISTRY_URL}, ${connection.DATABASE_URL}\n`);
  project.provide('connection', connection);
  return teardown;
}
