import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { TopicName } from '../../lib/contracts/types.generated.ts';
import { portInUse, startOpsServer, type OpsServer } from '../../lib/http.ts';
import type { Serde } from '../../lib/kafka/serde.ts';
import type { Logger } from '../../lib/logging.ts';
import { createRouterCore, type RouterCore } from './assigner.ts';
import { createFreshness } from './freshness.pure.ts';
import { startGrpcServer, type RunningGrpcServer } from './grpc.ts';
import { httpApiRoutes } from './http-api.ts';
import { countExperiments, routerMetrics } from './metrics.ts';
import { startStateReader } from './reader.ts';
import { createTable } from './table.pure.ts';
import { kafkaTagTransport, startTagger, type Tagger, type TagTransport } from './tagger.ts';

/** Wires the router: state reader → table → core ← HTTP and gRPC; core → tagger → Kafka. */

export interface RouterOptions {
  /** Reads the state topics, and publishes the tags unless `tagTransport` is given. */
  kafka: Kafka;
  serde: Serde;
  /** Where the tags go; by default agent.run.assigned.v1 on `kafka`. Tests put an unreachable broker here. */
  tagTransport?: TagTransport;
  /** The physical name of a catalog topic, or of the consumer group's stem: LEARNLOOP_TOPIC_PREFIX, or a test's own. */
  physicalName?: (name: TopicName | 'router-sidecar') => string;
  host: string;
  httpPort: number;
  grpcPort: number;
  token: string | undefined;
  maxStateAgeMs: number;
  tagBufferSize: number;
  tagMaxDelayMs: number;
  maxBodyBytes: number;
  logger: Logger;
  metrics: Registry;
  probeIntervalMs?: number;
}

export interface RunningRouter {
  httpPort: number;
  grpcPort: number;
  core: RouterCore;
  tagger: Tagger;
  ready(): boolean;
  /** Servers closed first (no new answers), then the tags flushed, then the state consumer disconnected. */
  stop(): Promise<void>;
}

export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const logger = options.logger;
  const physical = options.physicalName ?? ((name: string) => name);
  const metrics = routerMetrics(options.metrics);
  const table = createTable();
  const freshness = createFreshness();

  const tagger = startTagger({
    transport:
      options.tagTransport ??
      kafkaTagTransport({ kafka: options.kafka, serde: options.serde, topic: physical('agent.run.assigned.v1') }),
    capacity: options.tagBufferSize,
    maxDelayMs: options.tagMaxDelayMs,
    logger,
    metrics,
  });
  const reader = startStateReader({
    kafka: options.kafka,
    serde: options.serde,
    stateTopic: physical('learning.experiment.state.v1'),
    promotionsTopic: physical('learning.version.promoted.v1'),
    groupPrefix: physical('router-sidecar'),
    table,
    freshness,
    logger,
    metrics,
    probeIntervalMs: options.probeIntervalMs,
    onProbe: () =>
      countExperiments(
        metrics,
        [...table.values()].flatMap((v) => (v.experiment ? [v.experiment.status] : [])),
      ),
  });
  const core = createRouterCore({
    table,
    freshness,
    tags: tagger,
    maxStateAgeMs: options.maxStateAgeMs,
    metrics,
    logger,
  });

  let http: OpsServer | undefined;
  let grpc: RunningGrpcServer | undefined;
  const stopBackground = async () => {
    await tagger.stop();
    await reader.stop();
  };
  try {
    http = await startOpsServer({
      host: options.host,
      port: options.httpPort,
      registry: options.metrics,
      readiness: [{ name: 'state', check: core.ready }],
      routes: httpApiRoutes({ core, metrics, token: options.token, maxBodyBytes: options.maxBodyBytes }),
      logger,
    }).catch(portInUse('LEARNLOOP_ROUTER_HTTP_PORT', options.host, options.httpPort));
    grpc = await startGrpcServer({
      host: options.host,
      port: options.grpcPort,
      core,
      metrics,
      token: options.token,
    }).catch((err: unknown) => {
      // grpc-js reports a taken port in its message only.
      if (err instanceof Error && /EADDRINUSE|address already in use|No address added/i.test(err.message)) {
        return portInUse(
          'LEARNLOOP_ROUTER_GRPC_PORT',
          options.host,
          options.grpcPort,
        )(Object.assign(err, { code: 'EADDRINUSE' }));
      }
      throw err;
    });
  } catch (err) {
    await http?.close().catch(() => {});
    await stopBackground();
    throw err;
  }
  const [httpServer, grpcServer] = [http, grpc];
  logger.info('router listening', { httpPort: httpServer.port, grpcPort: grpcServer.port });

  return {
    httpPort: httpServer.port,
    grpcPort: grpcServer.port,
    core,
    tagger,
    ready: core.ready,
    async stop() {
      await Promise.all([
        httpServer.close().catch((err: unknown) => logger.warn('closing the HTTP server failed', { err })),
        grpcServer.close(),
      ]);
      await stopBackground();
    },
  };
}
