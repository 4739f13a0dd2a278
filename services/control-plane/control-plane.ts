import type { ConsumerConfig, Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { TopicName } from '../../lib/contracts/types.generated.ts';
import type { Database } from '../../lib/db/schema.ts';
import { portInUse, startOpsServer, type RouteHandler } from '../../lib/http.ts';
import { startConsumerRuntime, type ConsumerRuntime } from '../../lib/kafka/consumer-runtime.ts';
import { writeEvents } from '../../lib/kafka/outbox.ts';
import { startOutboxRelay } from '../../lib/kafka/outbox-relay.ts';
import { runtimeMetrics } from '../../lib/kafka/runtime-metrics.ts';
import type { Serde } from '../../lib/kafka/serde.ts';
import type { Logger } from '../../lib/logging.ts';
import type { ApiContext } from './api.pure.ts';
import { controlPlaneMetrics } from './metrics.ts';
import { readModelTopics } from './read-models/fold.pure.ts';
import { readModelHandler } from './read-models/projection.ts';
import { routes } from './routes.ts';
import { pageRoutes } from './page/page.ts';
import { apiCaller, apiRoutes } from './server.ts';
import { transactor } from './writes.ts';

export interface ControlPlaneOptions {
  db: Kysely<Database>;
  databaseUrl: string;
  kafka: Kafka;
  serde: Serde;
  physicalName: (name: TopicName | 'control-plane' | 'learning.outbox.positions') => string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  maxBodyBytes: number;
  logger: Logger;
  metrics: Registry;
  now?: () => Date;
  /** kafkajs consumer settings for the read-model projection. */
  consumerConfig?: Omit<ConsumerConfig, 'groupId'>;
}

/**
 * The read-model projection (read-models/): the control plane's consumer group, under the same name as its outbox, so
 * that its dead letters are published by the control plane's relay (the runtime starts none of its own).
 */
export function startReadModels(
  options: Pick<
    ControlPlaneOptions,
    'db' | 'databaseUrl' | 'kafka' | 'serde' | 'physicalName' | 'logger' | 'metrics' | 'consumerConfig'
  >,
): Promise<ConsumerRuntime> {
  return startConsumerRuntime({
    groupId: options.physicalName('control-plane'),
    topics: readModelTopics,
    handler: readModelHandler({ logger: options.logger }),
    kafka: options.kafka,
    db: options.db,
    databaseUrl: options.databaseUrl,
    serde: options.serde,
    logger: options.logger,
    metrics: options.metrics,
    physicalName: options.physicalName,
    relay: false,
    ...(options.consumerConfig ? { consumerConfig: options.consumerConfig } : {}),
  });
}

export interface RunningControlPlane {
  port: number;
  /** Ready for traffic: its relay has started and is not stuck, so that a pause is published as soon as it commits. */
  ready(): boolean;
  /** The read-model projection has its partitions. */
  readModelsReady(): boolean;
  stop(): Promise<void>;
}

/** The API's routes first, then the learning page's (docs/page.md). */
function either(first: RouteHandler, second: RouteHandler): RouteHandler {
  return async (req, res) => (await first(req, res)) || second(req, res);
}

/**
 * The API server, the outbox relay that publishes the events its writes cause, and the projection that keeps the read
 * models the API shows.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<RunningControlPlane> {
  const producer = options.physicalName('control-plane');
  const ctx: ApiContext = {
    db: options.db,
    transact: transactor(options.db, (trx, events) =>
      writeEvents(trx, { producer, serde: options.serde, physicalName: options.physicalName }, events),
    ),
    now: options.now ?? (() => new Date()),
    logger: options.logger,
  };
  const relay = startOutboxRelay({
    producer,
    kafka: options.kafka,
    db: options.db,
    databaseUrl: options.databaseUrl,
    positionsTopic: options.physicalName('learning.outbox.positions'),
    logger: options.logger,
    metrics: runtimeMetrics(options.metrics),
  });
  let readModels: ConsumerRuntime | undefined;
  try {
    readModels = await startReadModels(options);
    const server = await startOpsServer({
      host: options.host,
      port: options.port,
      registry: options.metrics,
      routes: either(
        apiRoutes({
          routes,
          ctx,
          metrics: controlPlaneMetrics(options.metrics),
          maxBodyBytes: options.maxBodyBytes,
        }),
        pageRoutes({ api: apiCaller(routes, ctx), ctx }),
      ),
      logger: options.logger,
    }).catch(portInUse('LEARNLOOP_CONTROL_PLANE_PORT', options.host, options.port));
    const projection = readModels;
    return {
      port: server.port,
      ready: () => relay.started() && relay.healthy(),
      readModelsReady: () => projection.ready(),
      stop: async () => {
        await server.close();
        await projection.stop();
        await relay.stop();
      },
    };
  } catch (err) {
    await readModels?.stop();
    await relay.stop();
    throw err;
  }
}
