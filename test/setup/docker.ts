import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { distPaths } from '../../lib/stack/dist.ts';
import { packageRoot } from '../../lib/package-root.ts';

/** True when a Docker engine answers (the client alone, as on machines without an engine, is not enough). */
export function dockerEngineAnswers(): boolean {
  const run = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 5000 });
  return run.status === 0 && run.stdout.trim() !== '';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The same three parts as the local stack, as containers, in the versions the local stack pins. Kafka advertises the
 * host port, so that port is chosen before the container starts.
 */
export async function startContainers(): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  const { kafkaVersion, registryVersion } = distPaths(`${packageRoot}/.learnloop`);
  const kafkaPort = await freePort();
  const started: StartedTestContainer[] = [];
  const stop = async () => {
    await Promise.all(started.map((c) => c.stop()));
  };
  try {
    const postgres = await new GenericContainer('postgres:17')
      .withEnvironment({ POSTGRES_USER: 'learnloop', POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'learnloop' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    started.push(postgres);
    const kafka = await new GenericContainer(`apache/kafka:${kafkaVersion}`)
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      })
      .withExposedPorts({ container: 9092, host: kafkaPort })
      .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
      .start();
    started.push(kafka);
    const registry = await new GenericContainer(`apicurio/apicurio-registry:${registryVersion}`)
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
      .start();
    started.push(registry);
    return {
      env: {
        KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
        SCHEMA_REGISTRY_URL: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
        DATABASE_URL: `postgres://learnloop@${postgres.getHost()}:${postgres.getMappedPort(5432)}/learnloop`,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
