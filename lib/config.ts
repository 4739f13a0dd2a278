import { z } from 'zod';

/** A configuration problem, reported once with every bad or missing variable named. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type ConfigResult<T> = { ok: true; value: T } | { ok: false; error: ConfigError };

/** Environment variables are strings: a port or count is read with these, so `LEARNLOOP_X=abc` names itself. */
export const port = z.coerce.number().int().min(1).max(65535);
/** A port a service listens on: 0 picks a free one (tests). */
export const listenPort = z.coerce.number().int().min(0).max(65535);
export const positiveInt = z.coerce.number().int().positive();

/**
 * Validates `env` against a zod object whose keys are variable names. Unknown variables are ignored (the environment
 * holds much else); every problem is collected so that one start-up names them all.
 */
export function parseConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): ConfigResult<z.infer<S>> {
  const present: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') present[key] = raw;
  }
  const parsed = schema.safeParse(present);
  if (parsed.success) return { ok: true, value: parsed.data };
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    const value = present[name];
    return value === undefined
      ? `${name}: missing (${issue.message})`
      : `${name}=${JSON.stringify(value)}: ${issue.message}`;
  });
  return { ok: false, error: new ConfigError(problems) };
}

/** Same as parseConfig, but throws the ConfigError: for process start-up, where the message is the whole story. */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = parseConfig(schema, env);
  if (!result.ok) throw result.error;
  return result.value;
}

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${protocols.join(' or ')} URL`,
  );

/** Where learnloop finds the user's infrastructure (docs/operations.md). */
export const connectionSchema = z.object({
  KAFKA_BROKERS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')).min(1, 'at least one broker'),
    ),
  SCHEMA_REGISTRY_URL: url(['http:', 'https:']),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
});
export type Connection = z.infer<typeof connectionSchema>;

/** Several learnloop installations (or test runs) can share one cluster: each prefixes its topics and groups. */
export const namespaceSchema = z.object({
  LEARNLOOP_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, underscore and dash only')
    .optional(),
});

/** The physical name of a catalog topic or consumer group under an optional prefix. */
export function physicalNameFor(prefix: string | undefined): (name: string) => string {
  return (name) => (prefix ? `${prefix}.${name}` : name);
}

export const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Settings every learnloop process reads. */
export const processSchema = z.object({
  LEARNLOOP_LOG_LEVEL: z.enum(logLevels).default('info'),
  LEARNLOOP_METRICS_PORT: port.default(9464),
  LEARNLOOP_HOST: z.string().min(1).default('127.0.0.1'),
  LEARNLOOP_SHUTDOWN_TIMEOUT_MS: positiveInt.default(30_000),
});
