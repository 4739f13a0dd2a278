import { Counter, Histogram, type Registry } from 'prom-client';

export interface ControlPlaneMetrics {
  requests: Counter<'route' | 'method' | 'status'>;
  duration: Histogram<'route' | 'method'>;
}

export function controlPlaneMetrics(registry: Registry): ControlPlaneMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'learnloop_control_plane_requests_total',
      help: 'API requests by route template (or "unmatched"), method and status code.',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    duration: new Histogram({
      name: 'learnloop_control_plane_request_duration_seconds',
      help: 'Time to answer an API request, by route template and method.',
      labelNames: ['route', 'method'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  };
}
