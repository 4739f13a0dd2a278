import { ConfigError, loadConfig, processSchema } from '../lib/config.ts';
import { exportReadiness, startOpsServer, type ReadinessCheck } from '../lib/http.ts';
import { createShutdown, exitOnSignals } from '../lib/lifecycle.ts';
import { createLogger } from '../lib/logging.ts';
import { createMetricsRegistry } from '../lib/metrics.ts';
import type { ServiceDefinition } from '../lib/service.ts';

/**
 * Hosts services in this process behind one /metrics, /healthz and /readyz, until SIGTERM or SIGINT. Resolves when the
 * services are started; the process then lives until a signal.
 */
export async function runServices(
  selected: readonly ServiceDefinition[],
  env: Record<string, string | undefined>,
): Promise<void> {
  const settings = loadConfig(processSchema, env);
  const process_ = selected.length === 1 ? selected[0]!.name : 'all';
  const logger = createLogger({ level: settings.LEARNLOOP_LOG_LEVEL, bindings: { process: process_ } });
  const metrics = createMetricsRegistry();
  const shutdown = createShutdown(logger, settings.LEARNLOOP_SHUTDOWN_TIMEOUT_MS);
  exitOnSignals(shutdown, logger);

  // Up before the services, so that /readyz answers "not ready" while they start; closed after they stop.
  let started = false;
  const readiness: ReadinessCheck[] = [{ name: 'started', check: () => started }];
  exportReadiness(metrics, readiness);
  const ops = await startOpsServer({
    host: settings.LEARNLOOP_HOST,
    port: settings.LEARNLOOP_METRICS_PORT,
    registry: metrics,
    readiness,
    logger,
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE') throw err;
    throw new ConfigError([
      `LEARNLOOP_METRICS_PORT=${settings.LEARNLOOP_METRICS_PORT}: ${settings.LEARNLOOP_HOST}:${settings.LEARNLOOP_METRICS_PORT} is already in use by another program`,
    ]);
  });
  shutdown.add('ops-server', () => ops.close());
  logger.info('serving metrics and health', { port: ops.port });
  for (const service of selected) {
    await service.start({
      logger: logger.child({ service: service.name }),
      metrics,
      shutdown,
      env,
      addReadiness: (check) => readiness.push({ ...check, name: `${service.name}:${check.name}` }),
    });
    logger.info('service started', { service: service.name });
  }
  if (selected.length === 0) logger.warn('no services are built yet: serving only /metrics, /healthz and /readyz');
  started = true;
}
