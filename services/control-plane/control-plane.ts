import type { Kafka } from 'kafkajs';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { TopicName } from '../../lib/contracts/types.generated.ts';
import type { Database } from '../../lib/db/schema.ts';
import { portInUse, startOpsServer, type RouteHandler } from '../../lib/http.ts';
import { writeEvents } from '../../lib/kafka/outbox.ts';
import { startOutboxRelay } from '../../lib/kafka/outbox-relay.ts';
import { runtimeMetrics } from '../../lib/kafka/runtime-metrics.ts';
import type { Serde } from '../../lib/kafka/serde.ts';
import type { Logger } from '../../lib/logging.ts';
import type { ApiContext } from './api.pure.ts';
import { controlPlaneMetrics } from './metrics.ts';
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
}

export interface RunningControlPlane {
  port: number;
  /** Ready for traffic: its relay has started and is not stuck, so that a pause is published as soon as it commits. */
  ready(): boolean;
  stop(): Promise<void>;
}

/** The API's routes first, then the learning page's (docs/page.md). */
function either(first: RouteHandler, second: RouteHandler): RouteHandler {
  return async (req, res) => (await first(req, res)) || second(req, res);
}

/** The API server and the outbox relay that publishes the events its writes cause. */
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
  try {
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
    return {
      port: server.port,
      ready: () => relay.started() && relay.healthy(),
      stop: async () => {
        await server.close();
        await relay.stop();
      },
    };
  } catch (err) {
    await relay.stop();
    throw err;
  }
}
