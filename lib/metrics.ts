import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per process (`learnloop run all` is one process with one /metrics), holding the default process and
 * Node.js metrics under their standard names; learnloop's own metrics use the `learnloop_` prefix.
 */
export function createMetricsRegistry(defaultLabels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(defaultLabels);
  collectDefaultMetrics({ register: registry });
  return registry;
}
