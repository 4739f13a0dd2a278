import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError, connectionSchema, namespaceSchema, parseConfig } from '../lib/config.ts';
import { generatedTypesPath, generateTypes } from '../lib/contracts/codegen.ts';
import { registerSchemas, SchemaRegistryError } from '../lib/contracts/register.ts';
import { applyTopics } from '../lib/contracts/topics-apply.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { createLogger } from '../lib/logging.ts';

export const topicsHelp = `learnloop topics apply: make the Kafka topics match schemas/topics.json

Creates missing topics with the catalog's partitions, cleanup.policy and retention.ms; raises partition counts that
are lower than the catalog's (never lowers them); updates cleanup.policy and retention.ms where they differ.
Idempotent: a second run changes nothing. Needs KAFKA_BROKERS (host:port,...).`;

export const schemasHelp = `learnloop schemas <command>: the Avro schemas in schemas/*.avsc

Commands:
  register          set BACKWARD compatibility on each <topic>-value subject and register the topic's schema
                    (idempotent; the registry refuses an incompatible change). Needs SCHEMA_REGISTRY_URL.
  codegen [--check] write lib/contracts/types.generated.ts from the schemas; --check only says whether it is current`;

const stderrLogger = () => createLogger({ level: 'warn', write: (line) => process.stderr.write(line) });

function fail(err: unknown): number {
  if (
    err instanceof ConfigError ||
    err instanceof SchemaRegistryError ||
    (err instanceof Error && err.name.startsWith('KafkaJS'))
  ) {
    process.stderr.write(`learnloop: ${err.message}\n`);
    return 1;
  }
  throw err;
}

/** `learnloop topics apply`; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function topicsCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${topicsHelp}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'apply' || rest.length > 0) {
    process.stderr.write(`learnloop topics: unknown arguments "${args.join(' ')}"; see learnloop topics --help\n`);
    return 2;
  }
  const config = parseConfig(connectionSchema.pick({ KAFKA_BROKERS: true }).extend(namespaceSchema.shape), env);
  if (!config.ok) return fail(config.error);
  const prefix = config.value.LEARNLOOP_TOPIC_PREFIX;
  const admin = createKafka({
    brokers: config.value.KAFKA_BROKERS,
    clientId: 'learnloop-topics',
    logger: stderrLogger(),
  }).admin();
  try {
    await admin.connect();
    const results = await applyTopics({ admin, ...(prefix ? { prefix: `${prefix}.` } : {}) });
    const width = Math.max(...results.map((r) => r.topic.length));
    for (const { topic, actions, notes } of results) {
      process.stdout.write(
        `${topic.padEnd(width)}  ${actions.length === 0 ? 'unchanged' : actions.join('; ')}${notes.map((n) => ` (${n})`).join('')}\n`,
      );
    }
    return 0;
  } catch (err) {
    return fail(err);
  } finally {
    await admin.disconnect();
  }
}

/** `learnloop schemas register|codegen`; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function schemasCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${schemasHelp}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === 'register' && rest.length === 0) {
    const config = parseConfig(connectionSchema.pick({ SCHEMA_REGISTRY_URL: true }), env);
    if (!config.ok) return fail(config.error);
    try {
      const results = await registerSchemas({ registryUrl: config.value.SCHEMA_REGISTRY_URL });
      const width = Math.max(...results.map((r) => r.subject.length));
      for (const { subject, id, action } of results) {
        process.stdout.write(
          `${subject.padEnd(width)}  id ${String(id).padEnd(6)} ${action}, compatibility BACKWARD\n`,
        );
      }
      return 0;
    } catch (err) {
      return fail(err);
    }
  }
  if (command === 'codegen' && (rest.length === 0 || (rest.length === 1 && rest[0] === '--check'))) {
    const fresh = generateTypes();
    let current = '';
    try {
      current = readFileSync(generatedTypesPath, 'utf8');
    } catch {
      // Not written yet: differs.
    }
    if (rest[0] === '--check') {
      process.stdout.write(
        `${generatedTypesPath}: ${current === fresh ? 'up to date' : 'out of date (run learnloop schemas codegen)'}\n`,
      );
      return current === fresh ? 0 : 1;
    }
    if (current !== fresh) writeFileSync(generatedTypesPath, fresh);
    process.stdout.write(`${generatedTypesPath}: ${current === fresh ? 'unchanged' : 'written'}\n`);
    return 0;
  }
  process.stderr.write(`learnloop schemas: unknown arguments "${args.join(' ')}"; see learnloop schemas --help\n`);
  return 2;
}
