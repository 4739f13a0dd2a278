import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import { createKafka } from '../kafka/client.ts';
import { createLogger } from '../logging.ts';
import { kafkaClusterId } from './cluster-id.pure.ts';
import { componentPaths, type Component } from './component.ts';
import type { Dist } from './dist.ts';
import { StackError } from './errors.ts';
import { spawnDetached } from './process.ts';
import { stackHost, type StackSettings } from './settings.ts';

function serverProperties(settings: StackSettings, dataDir: string): string {
  const broker = `${stackHost}:${settings.LEARNLOOP_KAFKA_PORT}`;
  const controller = `${stackHost}:${settings.LEARNLOOP_KAFKA_CONTROLLER_PORT}`;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    // A static voter set: the quorum never changes on one node, and the storage is formatted without --standalone.
    `controller.quorum.voters=1@${controller}`,
    `listeners=PLAINTEXT://${broker},CONTROLLER://${controller}`,
    `advertised.listeners=PLAINTEXT://${broker}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    // One broker: internal topics must not ask for more replicas than exist, or groups never find a coordinator.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // The broker default waits 3 s before the first rebalance of a new group; tests and restarts should not.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    // After a crash the restarted broker waits out its previous incarnation's session (9 s by default); on one local
    // node nobody else needs that much slack.
    'broker.heartbeat.interval.ms=500',
    'broker.session.timeout.ms=2500',
    '',
  ].join('\n');
}

const log4j = (level: string) =>
  [
    'status = warn',
    'appender.out.type = Console',
    'appender.out.name = out',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = [%d] %p %m (%c)%n',
    `rootLogger.level = ${level}`,
    'rootLogger.appenderRef.out.ref = out',
    // The controller logs every metadata record at INFO; warn is enough for a local stack.
    'logger.raft.name = org.apache.kafka.raft',
    'logger.raft.level = warn',
    '',
  ].join('\n');

export function kafkaComponent(settings: StackSettings, dist: () => Dist, java: () => string): Component {
  const paths = componentPaths(settings.LEARNLOOP_HOME, 'kafka');
  const dataDir = join(paths.dir, 'data');
  const propsFile = join(paths.dir, 'server.properties');
  const log4jFile = join(paths.dir, 'log4j2.properties');
  const brokers = `${stackHost}:${settings.LEARNLOOP_KAFKA_PORT}`;

  const jvm = () => [
    `-Xms${settings.LEARNLOOP_KAFKA_HEAP}`,
    `-Xmx${settings.LEARNLOOP_KAFKA_HEAP}`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jFile}`,
    `-Dkafka.logs.dir=${paths.dir}`,
    '-cp',
    dist().kafkaClasspath,
  ];

  return {
    name: 'kafka',
    ...paths,
    ports: [
      { port: settings.LEARNLOOP_KAFKA_PORT, variable: 'LEARNLOOP_KAFKA_PORT' },
      { port: settings.LEARNLOOP_KAFKA_CONTROLLER_PORT, variable: 'LEARNLOOP_KAFKA_CONTROLLER_PORT' },
    ],
    stopSignal: 'SIGTERM',
    env: { KAFKA_BROKERS: brokers },
    async start() {
      mkdirSync(paths.dir, { recursive: true });
      writeFileSync(propsFile, serverProperties(settings, dataDir));
      writeFileSync(log4jFile, log4j('info'));
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        const clusterId = kafkaClusterId(randomBytes);
        const format = spawnSync(
          java(),
          [...jvm(), 'kafka.tools.StorageTool', 'format', '-c', propsFile, '-t', clusterId],
          {
            encoding: 'utf8',
          },
        );
        if (format.status !== 0) {
          throw new StackError(`formatting Kafka's storage in ${dataDir} failed:\n${format.stdout}${format.stderr}`);
        }
      }
      return spawnDetached({
        command: java(),
        args: [...jvm(), 'kafka.Kafka', propsFile],
        logFile: paths.logFile,
        pidFile: paths.pidFile,
        cwd: paths.dir,
      });
    },
    async healthy() {
      const admin = createKafka({
        brokers: [brokers],
        clientId: 'learnloop-stack-probe',
        logger: createLogger({ level: 'error', write: () => {} }),
        kafkaLogLevel: logLevel.NOTHING,
        config: { connectionTimeout: 1000, requestTimeout: 2000, retry: { retries: 0 } },
      }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0 && cluster.controller !== null;
      } catch {
        return false;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}
