import { parseArgs } from 'node:util';
import { connectionSchema, namespaceSchema, parseConfig } from '../lib/config.ts';
import type { LearnloopClientOptions } from '../lib/client/index.ts';
import { degradedQuality } from '../lib/demo/models.pure.ts';
import { type SimulatedAgent, type SimulationFigures, simulate } from './simulator.ts';

export const simulateHelp = `learnloop simulate [--agents N] [--rate R] [--duration D] [--seed S] [--degrade LIST]

A fleet of synthetic agents (sim-agent-0 ... sim-agent-N-1) sending traffic through learnloop/client: each run asks
the router which version to serve (LEARNLOOP_ROUTER_URL, default http://127.0.0.1:7070), reports the run and its
evaluation to Kafka (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, LEARNLOOP_TOPIC_PREFIX), and runs the shadow candidate when
the router says so. Stops after --duration and prints the figures (docs/demo.md).

  --agents N      synthetic agents (default 10)
  --rate R        runs per second over all agents (default 50)
  --duration D    how long: 90s, 10m, 1h (default 60s)
  --seed S        the same seed gives the same runs (default 1)
  --degrade LIST  agent indexes whose live version degrades from the start, e.g. 0,3 (default none)
Exit codes: 0 done, 1 failed, 2 usage.`;

export class SimulateUsageError extends Error {}

export function parseDuration(text: string, field: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!match)
    throw new SimulateUsageError(`${field} must be a duration like 90s, 10m or 1h, not ${JSON.stringify(text)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

export function positiveNumber(text: string, field: string, integer = false): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new SimulateUsageError(
      `${field} must be a positive ${integer ? 'whole ' : ''}number, not ${JSON.stringify(text)}`,
    );
  return value;
}

/** What learnloop/client needs, from the environment the services use. */
export function clientOptions(env: NodeJS.ProcessEnv): LearnloopClientOptions {
  const connection = parseConfig(
    connectionSchema.pick({ KAFKA_BROKERS: true, SCHEMA_REGISTRY_URL: true }).extend(namespaceSchema.shape),
    env,
  );
  if (!connection.ok) throw connection.error;
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, LEARNLOOP_TOPIC_PREFIX } = connection.value;
  return {
    routerUrl: env['LEARNLOOP_ROUTER_URL'] || 'http://127.0.0.1:7070',
    ...(env['LEARNLOOP_ROUTER_TOKEN'] ? { token: env['LEARNLOOP_ROUTER_TOKEN'] } : {}),
    // A loaded 2-core machine answers slower than the production default of 100 ms.
    timeoutMs: 500,
    events: {
      brokers: KAFKA_BROKERS,
      registryUrl: SCHEMA_REGISTRY_URL,
      clientId: 'learnloop-simulate',
      // The producer puts its prefix before the name as it is; the services' LEARNLOOP_TOPIC_PREFIX is joined with a dot.
      ...(LEARNLOOP_TOPIC_PREFIX ? { topicPrefix: `${LEARNLOOP_TOPIC_PREFIX}.` } : {}),
    },
  };
}

export function printFigures(figures: SimulationFigures, out: (line: string) => void): void {
  out(
    `runs published: ${figures.runs} (+${figures.shadowRuns} shadow) in ${figures.seconds.toFixed(1)} s, ${figures.perSecond.toFixed(1)}/s`,
  );
  out(
    `router latency seen by the clients: p50 ${figures.assignP50Ms.toFixed(2)} ms, p99 ${figures.assignP99Ms.toFixed(2)} ms; fallbacks ${figures.fallbacks}`,
  );
  for (const [experimentId, a] of Object.entries(figures.arms))
    out(`experiment ${experimentId}: baseline ${a.baseline}, candidate ${a.candidate}, shadow ${a.shadow}`);
}

export async function simulateCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        agents: { type: 'string', default: '10' },
        rate: { type: 'string', default: '50' },
        duration: { type: 'string', default: '60s' },
        seed: { type: 'string', default: '1' },
        degrade: { type: 'string', default: '' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
    if (values['help']) {
      process.stdout.write(`${simulateHelp}\n`);
      return 0;
    }
    const count = positiveNumber(values['agents'] as string, '--agents', true);
    const degrade = new Set(
      (values['degrade'] as string)
        .split(',')
        .filter((s) => s !== '')
        .map((s) => {
          const i = Number(s);
          if (!Number.isInteger(i) || i < 0 || i >= count)
            throw new SimulateUsageError(`--degrade: ${JSON.stringify(s)} is not an agent index below ${count}`);
          return i;
        }),
    );
    const agents: SimulatedAgent[] = Array.from({ length: count }, (_, i) => ({
      agentId: `sim-agent-${i}`,
      liveVersionId: 'sim-v1',
      drift: degrade.has(i)
        ? { startMs: 0, rampMs: 30_000, category: 'stale_order_status', degraded: degradedQuality }
        : null,
      change: { fixesCategory: 'stale_order_status' },
    }));
    const figures = await simulate({
      agents,
      rate: positiveNumber(values['rate'] as string, '--rate'),
      durationMs: parseDuration(values['duration'] as string, '--duration'),
      seed: positiveNumber(values['seed'] as string, '--seed', true),
      client: clientOptions(env),
      progress: (line) => process.stderr.write(`simulate: ${line}\n`),
    });
    printFigures(figures, (line) => process.stdout.write(`${line}\n`));
    return 0;
  } catch (err) {
    if (err instanceof SimulateUsageError || (err instanceof TypeError && 'code' in err)) {
      process.stderr.write(`learnloop simulate: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
