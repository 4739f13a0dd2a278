// The router for bench/client.ts, in a worker thread of its own so that it does not share an event loop with the
// callers being measured: its state in memory (an ab experiment at 50/50, every request enrolled), tags dropped.
import { parentPort } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { startOpsServer } from '../lib/http.ts';
import { createLogger } from '../lib/logging.ts';
import { createRouterCore } from '../services/router-sidecar/assigner.ts';
import { createFreshness, recordProbe } from '../services/router-sidecar/freshness.pure.ts';
import { startGrpcServer } from '../services/router-sidecar/grpc.ts';
import { httpApiRoutes } from '../services/router-sidecar/http-api.ts';
import { routerMetrics } from '../services/router-sidecar/metrics.ts';
import { applyExperimentState, createTable } from '../services/router-sidecar/table.pure.ts';
import { experimentState } from '../test/helpers/router.ts';

const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });
const registry = new Registry();
const metrics = routerMetrics(registry);
const table = createTable();
const split = { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 };
table.set('agent-1', applyExperimentState(undefined, experimentState({ trafficSplit: split })).view);
const freshness = createFreshness();
const core = createRouterCore({
  table,
  freshness,
  tags: { available: () => true, room: () => 1_000_000, enqueue: () => {} },
  maxStateAgeMs: 3_600_000,
  metrics,
  logger,
});
recordProbe(freshness, Date.now(), []);

const http = await startOpsServer({
  host: '127.0.0.1',
  port: 0,
  registry,
  logger,
  readiness: [],
  routes: httpApiRoutes({ core, metrics, token: undefined, maxBodyBytes: 16_384 }),
});
const grpc = await startGrpcServer({ host: '127.0.0.1', port: 0, core, metrics, token: undefined });
parentPort!.postMessage({ httpPort: http.port, grpcPort: grpc.port });
