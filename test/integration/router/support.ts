import { connect as netConnect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ISocketFactory, Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import type { ExperimentState, RunAssigned, VersionPromoted } from '../../../lib/contracts/types.generated.ts';
import type { Serde } from '../../../lib/kafka/serde.ts';
import type { Logger } from '../../../lib/logging.ts';
import type { Assignment } from '../../../services/router-sidecar/decide.pure.ts';
import { startRouter, type RouterOptions, type RunningRouter } from '../../../services/router-sidecar/router.ts';
import { readAll } from '../../helpers/kafka-topics.ts';

/** What the router's integration tests share: publishing state, asking the router, reading its tags. */

export async function publish(
  kafka: Kafka,
  serde: Serde,
  prefix: string,
  records: { states?: ExperimentState[]; promotions?: VersionPromoted[] },
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (const state of records.states ?? []) {
      await producer.send({
        topic: `${prefix}.learning.experiment.state.v1`,
        messages: [{ key: state.agentId, value: await serde.encode('learning.experiment.state.v1', state) }],
      });
    }
    for (const p of records.promotions ?? []) {
      await producer.send({
        topic: `${prefix}.learning.version.promoted.v1`,
        messages: [{ key: p.agentId, value: await serde.encode('learning.version.promoted.v1', p) }],
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export function startTestRouter(
  kafka: Kafka,
  serde: Serde,
  prefix: string,
  logger: Logger,
  overrides: Partial<RouterOptions> = {},
): Promise<RunningRouter> {
  return startRouter({
    kafka,
    serde,
    physicalName: (name) => `${prefix}.${name}`,
    host: '127.0.0.1',
    httpPort: 0,
    grpcPort: 0,
    token: undefined,
    maxStateAgeMs: 30_000,
    tagBufferSize: 10_000,
    tagMaxDelayMs: 5_000,
    maxBodyBytes: 16_384,
    logger,
    metrics: new Registry(),
    probeIntervalMs: 200,
    ...overrides,
  });
}

export async function assign(
  port: number,
  agentId: string,
  runId: string,
  unitId: string | null = null,
): Promise<Assignment> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/assign`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ agentId, runId, unitId }),
  });
  if (res.status !== 200) throw new Error(`assign answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Assignment;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export async function waitReady(router: RunningRouter): Promise<void> {
  await waitFor('router ready', async () => (router.ready() ? true : undefined));
}

/** Every tag on the prefixed assigned topic, decoded, with its key. */
export async function readTags(
  kafka: Kafka,
  serde: Serde,
  prefix: string,
): Promise<Array<{ key: string | null; tag: RunAssigned }>> {
  const records = await readAll(kafka, `${prefix}.agent.run.assigned.v1`);
  return Promise.all(
    records.map(async (r) => ({ key: r.key, tag: (await serde.decode(r.value)).value as RunAssigned })),
  );
}

/** The tags a caller was handed, as "runId|arm|experimentId|versionId" (a shadowed run gives two). */
export function tagsHandedOut(answers: readonly Assignment[]): string[] {
  return answers
    .flatMap((a) => {
      if (a.experimentId === null || a.arm === null) return [];
      const tags = [`${a.runId}|${a.arm}|${a.experimentId}|${a.versionId}`];
      if (a.shadow) tags.push(`${a.runId}|shadow|${a.shadow.experimentId}|${a.shadow.versionId}`);
      return tags;
    })
    .sort();
}

export function tagsReported(tags: ReadonlyArray<{ tag: RunAssigned }>): string[] {
  // Consumers dedupe on eventId: a tag published twice after a retried send is one tag.
  const unique = new Map(tags.map(({ tag }) => [tag.eventId, tag]));
  return [...unique.values()].map((t) => `${t.runId}|${t.arm}|${t.experimentId}|${t.versionId}`).sort();
}

export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

/** A port nothing listens on. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/**
 * A kafkajs socket factory with a switch: off cuts every connection it made and sends new ones to a dead port, so
 * that Kafka is unreachable for one client only while the shared broker keeps running for everyone else.
 */
export function switchableSockets(dead: number): { factory: ISocketFactory; off(): void; on(): void } {
  const sockets = new Set<Socket>();
  let up = true;
  const factory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = netConnect(up ? { host, port } : { host: '127.0.0.1', port: dead }, onConnect);
    socket.setKeepAlive(true, 60_000);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    return socket;
  };
  return {
    factory,
    off() {
      up = false;
      for (const s of sockets) s.destroy(new Error('connection cut by the test'));
    },
    on() {
      up = true;
    },
  };
}
