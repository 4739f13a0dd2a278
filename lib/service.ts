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
  /**
   * For an optional service (one that talks to something outside learnloop): the log line naming what is missing when
   * `env` does not configure it, else null. `run all` and `start` leave such a service out; `run <name>` starts it,
   * and its own configuration check fails loudly.
   */
  notConfigured?(env: Record<string, string | undefined>): string | null;
  /** Starts consuming/serving and registers its own stop hook on `ctx.shutdown`. */
  start(ctx: ServiceContext): Promise<void>;
}
