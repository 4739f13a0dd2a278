import { join } from 'node:path';
import { z } from 'zod';
import { parseConfig, port, type ConfigResult } from '../config.ts';
import { installedAsDependency, packageRoot } from '../package-root.ts';

/** `.learnloop/` lives beside package.json in a checkout, in the working directory when learnloop is a dependency. */
const defaultHome = join(installedAsDependency ? process.cwd() : packageRoot, '.learnloop');

const heap = z.string().regex(/^\d+[mMgG]$/, 'must be a JVM heap size such as 512m or 1g');

/** Ports are not Kafka's, Apicurio's or Postgres's defaults, so that the stack does not collide with installed ones. */
export const stackSchema = z.object({
  LEARNLOOP_HOME: z.string().min(1).default(defaultHome),
  LEARNLOOP_KAFKA_PORT: port.default(29092),
  LEARNLOOP_KAFKA_CONTROLLER_PORT: port.default(29093),
  LEARNLOOP_REGISTRY_PORT: port.default(28081),
  LEARNLOOP_POSTGRES_PORT: port.default(25432),
  // Caps sized so that Kafka, the registry, Postgres and the services fit a 2-core, few-GB machine with room to spare.
  LEARNLOOP_KAFKA_HEAP: heap.default('1g'),
  LEARNLOOP_REGISTRY_HEAP: heap.default('384m'),
  /** Directory holding initdb and postgres; found from pg_config or /usr/lib/postgresql when unset. */
  LEARNLOOP_PG_BINDIR: z.string().min(1).optional(),
  /** Postgres refuses to run as root: when learnloop runs as root, the server runs as this user. */
  LEARNLOOP_PG_USER: z.string().min(1).default('postgres'),
  JAVA_HOME: z.string().min(1).optional(),
  /** How long `stack up` waits for each part to become healthy. */
  LEARNLOOP_STACK_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
});
export type StackSettings = z.infer<typeof stackSchema>;

export function parseStackSettings(env: Record<string, string | undefined> = process.env): ConfigResult<StackSettings> {
  return parseConfig(stackSchema, env);
}

export const stackHost = '127.0.0.1';
export const postgresUser = 'learnloop';
export const postgresDatabase = 'learnloop';
export const registryDatabase = 'schema_registry';
