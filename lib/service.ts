import type { Registry } from 'prom-client';
import type { ReadinessCheck } from './http.ts';
import type { Shutdown } from './lifecycle.ts';
import type { Logger } from './logging.ts';

/** What a running service gets from the process that hosts it (`learnloop run <name>` or `run all`). */
export interface ServiceContext {
  logger: Logger;
  metrics: Registry;
  shutdown: Shutdown;
  env: Record<string, string | undefined>;
  /** Adds a check to the process's /readyz. */
  addReadiness(check: ReadinessCheck): void;
}

export interface ServiceDefinition {
  name: string;
  summary: string;
  /** Starts consuming/serving and registers its own stop hook on `ctx.shutdown`. */
  start(ctx: ServiceContext): Promise<void>;
}
