import { Registry } from 'prom-client';
import { connectionSchema, namespaceSchema, parseConfig, physicalNameFor, positiveInt } from '../lib/config.ts';
import { createDb } from '../lib/db/index.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { createSerde } from '../lib/kafka/serde.ts';
import { createLogger } from '../lib/logging.ts';
import { RebuildError, rebuildReadModels } from '../services/control-plane/read-models/rebuild.ts';

export const controlPlaneHelp = `learnloop control-plane rebuild [--timeout-ms N]: rebuild the control plane's read models

Empties the tables the control plane builds from the learning topics (cp_experiments, cp_verdicts,
cp_agent_windows) and replays the topics from the beginning into them, then exits. Stop the control plane first:
the rebuild refuses to run while its consumer group has a member. Needs KAFKA_BROKERS, SCHEMA_REGISTRY_URL and
DATABASE_URL (and LEARNLOOP_TOPIC_PREFIX if the deployment uses one). --timeout-ms: how long the replay may take
(default 600000). Exit codes: 0 rebuilt, 1 failed, 2 usage.`;

const settingsSchema = connectionSchema.extend(namespaceSchema.shape);

/** `learnloop control-plane rebuild`; returns the exit code. */
export async function controlPlaneCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${controlPlaneHelp}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'rebuild') {
    process.stderr.write(`learnloop: unknown control-plane command "${command}"; see learnloop control-plane --help\n`);
    return 2;
  }
  let timeoutMs = 600_000;
  if (rest.length > 0) {
    const [flag, value, ...extra] = rest;
    const parsed = positiveInt.safeParse(value);
    if (flag !== '--timeout-ms' || extra.length > 0 || !parsed.success) {
      process.stderr.write(`learnloop: --timeout-ms takes a positive whole number of milliseconds\n`);
      return 2;
    }
    timeoutMs = parsed.data;
  }
  const config = parseConfig(settingsSchema, env);
  if (!config.ok) throw config.error;
  const logger = createLogger({ level: 'warn', write: (line) => process.stderr.write(line) });
  const db = createDb({ url: config.value.DATABASE_URL, max: 4 });
  try {
    const result = await rebuildReadModels({
      db,
      databaseUrl: config.value.DATABASE_URL,
      kafka: createKafka({ brokers: config.value.KAFKA_BROKERS, clientId: 'learnloop-rebuild', logger }),
      serde: createSerde({ registryUrl: config.value.SCHEMA_REGISTRY_URL }),
      physicalName: physicalNameFor(config.value.LEARNLOOP_TOPIC_PREFIX),
      logger,
      metrics: new Registry(),
      timeoutMs,
    });
    process.stdout.write(
      `read models rebuilt: ${result.records} offsets replayed over ${result.partitions} partitions\n`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof RebuildError)) throw err;
    process.stderr.write(`learnloop: ${err.message}\n`);
    return 1;
  } finally {
    await db.destroy();
  }
}
