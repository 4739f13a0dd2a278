import grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../../lib/kafka/client.ts';
import { createSerde } from '../../../lib/kafka/serde.ts';
import { createShutdown } from '../../../lib/lifecycle.ts';
import { createLogger } from '../../../lib/logging.ts';
import type { Assignment } from '../../../services/router-sidecar/decide.pure.ts';
import { loadServices, type GrpcAssignResponse } from '../../../services/router-sidecar/grpc.ts';
import { routerSidecar } from '../../../services/router-sidecar/index.ts';
import { topicPrefix } from '../../helpers/kafka-topics.ts';
import { createRouterTopics, experimentState, promotion, shadowState } from '../../helpers/router.ts';
import { testConnection } from '../../setup/connection.ts';
import {
  assign,
  metricValue,
  publish,
  readTags,
  startTestRouter,
  tagsHandedOut,
  tagsReported,
  waitFor,
  waitReady,
} from './support.ts';

const connection = testConnection();
const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });
const kafka = createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'router-test', logger });
const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });
const split = (c: number, b: number, s = 0) => ({
  candidateBasisPoints: c,
  baselineBasisPoints: b,
  shadowSampleBasisPoints: s,
});
const units = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);

describe('the router on a real stack', () => {
  it('follows a published state within 1 s, and reports every enrolled run with what the caller got', async () => {
    const prefix = topicPrefix('router');
    await createRouterTopics(kafka, prefix);
    const router = await startTestRouter(kafka, serde, prefix, logger);
    try {
      await waitReady(router);
      expect(await assign(router.httpPort, 'agent-1', 'run-before')).toEqual({
        agentId: 'agent-1',
        runId: 'run-before',
        versionId: null,
        experimentId: null,
        arm: null,
        shadow: null,
      });

      await publish(kafka, serde, prefix, { states: [experimentState({ trafficSplit: split(5000, 5000) })] });
      const published = Date.now();
      await waitFor(
        'an enrolled answer',
        async () => ((await assign(router.httpPort, 'agent-1', `probe-${Date.now()}`)).experimentId ? true : undefined),
        1000,
      );
      const appliedWithinMs = Date.now() - published;
      expect(appliedWithinMs).toBeLessThan(1000);

      const answers: Assignment[] = [];
      for (const [i, unit] of units(300).entries())
        answers.push(await assign(router.httpPort, 'agent-1', `run-${i}`, unit));
      expect(new Set(answers.map((a) => a.arm))).toEqual(new Set(['candidate', 'baseline']));
      for (const a of answers) expect(a.versionId).toBe(a.arm === 'candidate' ? 'v-cand' : 'v-base');
      // Sticky: the same unit, another run, the same arm.
      for (const [i, unit] of units(50).entries())
        expect((await assign(router.httpPort, 'agent-1', `again-${i}`, unit)).arm).toBe(answers[i]!.arm);

      await waitFor('tags published', async () => (router.tagger.pending() === 0 ? true : undefined));
      const tags = await readTags(kafka, serde, prefix);
      const runs = tags.filter(({ tag }) => tag.runId.startsWith('run-'));
      expect(tagsReported(runs)).toEqual(tagsHandedOut(answers));
      for (const { key, tag } of tags) {
        expect(key).toBe(tag.agentId);
        expect(tag).toMatchObject({ experimentVersion: 1, mode: 'ab' });
      }
      const byRun = new Map(runs.map(({ tag }) => [tag.runId, tag]));
      for (const [i, unit] of units(300).entries()) expect(byRun.get(`run-${i}`)).toMatchObject({ unitId: unit });
    } finally {
      await router.stop();
    }
  });

  it('pause, failure and promotion each change the answers; an out-of-order older state changes nothing', async () => {
    const prefix = topicPrefix('router-life');
    await createRouterTopics(kafka, prefix);
    const registry = new Registry();
    const router = await startTestRouter(kafka, serde, prefix, logger, { metrics: registry });
    const ask = async (tag: string) =>
      Promise.all(units(40).map((u, i) => assign(router.httpPort, 'agent-1', `${tag}-${i}`, u)));
    const enrolled = (answers: Assignment[]) => answers.filter((a) => a.arm !== null).length;
    const settle = (what: string, check: (answers: Assignment[]) => boolean) =>
      waitFor(
        what,
        async () => {
          const answers = await ask(`${what}-${Date.now()}`);
          return check(answers) ? answers : undefined;
        },
        1000,
      );
    try {
      await waitReady(router);
      await publish(kafka, serde, prefix, {
        states: [experimentState({ version: 1, trafficSplit: split(5000, 5000) })],
      });
      const running = await settle('running', (a) => enrolled(a) === 40);

      await publish(kafka, serde, prefix, {
        states: [experimentState({ version: 2, status: 'paused', trafficSplit: split(5000, 5000) })],
      });
      const paused = await settle('paused', (a) => enrolled(a) === 0);
      for (const a of paused) expect(a).toMatchObject({ versionId: 'v-base', experimentId: null, arm: null });

      await publish(kafka, serde, prefix, {
        states: [experimentState({ version: 3, status: 'running', trafficSplit: split(5000, 5000) })],
      });
      const resumed = await settle('resumed', (a) => enrolled(a) === 40);
      expect(resumed.map((a) => a.arm)).toEqual(running.map((a) => a.arm));

      await publish(kafka, serde, prefix, {
        states: [experimentState({ version: 4, status: 'failed', trafficSplit: split(5000, 5000) })],
      });
      await settle('failed', (a) => enrolled(a) === 0 && a.every((x) => x.versionId === 'v-base'));
      // The relay of an older change publishes late: the version check keeps the failure.
      await publish(kafka, serde, prefix, {
        states: [experimentState({ version: 3, status: 'running', trafficSplit: split(5000, 5000) })],
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(enrolled(await ask('after-stale'))).toBe(0);
      expect(
        await metricValue(registry, 'learnloop_router_state_records_total', { result: 'superseded' }),
      ).toBeGreaterThanOrEqual(1);

      // A new experiment whose candidate wins and is promoted: everyone gets the promoted version.
      const started = new Date(Date.UTC(2026, 10, 25));
      await publish(kafka, serde, prefix, {
        states: [
          experimentState({ experimentId: 'exp-2', version: 1, startedAt: started, trafficSplit: split(5000, 5000) }),
        ],
      });
      await settle(
        'second experiment',
        (a) => a.every((x) => x.arm === null || x.experimentId === 'exp-2') && enrolled(a) === 40,
      );
      await publish(kafka, serde, prefix, {
        states: [
          experimentState({
            experimentId: 'exp-2',
            version: 2,
            status: 'promoted',
            startedAt: started,
            trafficSplit: split(5000, 5000),
          }),
        ],
        promotions: [promotion({ experimentId: 'exp-2', previousVersionId: 'v-base', promotedVersionId: 'v-cand' })],
      });
      const promoted = await settle('promoted', (a) => a.every((x) => x.versionId === 'v-cand' && x.arm === null));
      expect(promoted).toHaveLength(40);
      const described = (await (await fetch(`http://127.0.0.1:${router.httpPort}/v1/agents/agent-1`)).json()) as Record<
        string,
        unknown
      >;
      expect(described).toMatchObject({
        liveVersionId: 'v-cand',
        liveVersionSource: 'promotion',
        experiment: { experimentId: 'exp-2', status: 'promoted', version: 2 },
      });
    } finally {
      await router.stop();
    }
  });

  it('gives the same answers on every replica and after a restart (the state is re-read from the compacted topic)', async () => {
    const prefix = topicPrefix('router-replicas');
    await createRouterTopics(kafka, prefix);
    await publish(kafka, serde, prefix, {
      states: [
        experimentState({ version: 1, trafficSplit: split(500, 500) }),
        experimentState({ version: 2, trafficSplit: split(2500, 2500) }),
        experimentState({ agentId: 'agent-2', experimentId: 'exp-9', salt: 'other', trafficSplit: split(5000, 5000) }),
      ],
    });
    const answersOf = async (port: number) =>
      Promise.all(
        units(100).flatMap((u, i) => ['agent-1', 'agent-2'].map((agent) => assign(port, agent, `r-${agent}-${i}`, u))),
      );
    const a = await startTestRouter(kafka, serde, prefix, logger);
    const b = await startTestRouter(kafka, serde, prefix, logger);
    try {
      await Promise.all([waitReady(a), waitReady(b)]);
      const first = await answersOf(a.httpPort);
      expect(await answersOf(b.httpPort)).toEqual(first);
      expect(first.filter((x) => x.agentId === 'agent-1' && x.arm !== null).length).toBeGreaterThan(20);
      await a.stop();
      const restarted = await startTestRouter(kafka, serde, prefix, logger);
      try {
        await waitReady(restarted);
        expect(await answersOf(restarted.httpPort)).toEqual(first);
      } finally {
        await restarted.stop();
      }
    } finally {
      await a.stop().catch(() => {});
      await b.stop();
    }
  });

  it('shadow mode: serves the baseline, shadows a deterministic sample, and tags both runs of each pair', async () => {
    const prefix = topicPrefix('router-shadow');
    await createRouterTopics(kafka, prefix);
    const router = await startTestRouter(kafka, serde, prefix, logger);
    try {
      await waitReady(router);
      await publish(kafka, serde, prefix, {
        states: [shadowState({ agentId: 'agent-s', trafficSplit: split(0, 0, 3000) })],
      });
      await waitFor(
        'shadow state applied',
        async () => (router.core.describe('agent-s').experiment ? true : undefined),
        1000,
      );
      const answers: Assignment[] = [];
      for (const [i, unit] of units(200).entries())
        answers.push(await assign(router.httpPort, 'agent-s', `srun-${i}`, unit));
      const shadowed = answers.filter((a) => a.shadow !== null);
      expect(shadowed.length).toBeGreaterThan(30);
      expect(shadowed.length).toBeLessThan(100);
      for (const a of answers) expect(a.versionId).toBe('v-base');
      for (const a of shadowed)
        expect(a).toMatchObject({
          arm: 'baseline',
          experimentId: 'exp-1',
          shadow: { versionId: 'v-cand', experimentId: 'exp-1' },
        });
      await waitFor('tags published', async () => (router.tagger.pending() === 0 ? true : undefined));
      expect(tagsReported(await readTags(kafka, serde, prefix))).toEqual(tagsHandedOut(answers));
    } finally {
      await router.stop();
    }
  });

  it('answers Router/Assign over gRPC like HTTP, with the health service', async () => {
    const prefix = topicPrefix('router-grpc');
    await createRouterTopics(kafka, prefix);
    const router = await startTestRouter(kafka, serde, prefix, logger);
    const services = loadServices();
    const pkg = services.routerPackage as unknown as {
      learnloop: { router: { v1: { Router: grpc.ServiceClientConstructor } } };
    };
    const client = new pkg.learnloop.router.v1.Router(
      `127.0.0.1:${router.grpcPort}`,
      grpc.credentials.createInsecure(),
    ) as grpc.Client & Record<string, (...a: unknown[]) => unknown>;
    const call = (request: object) =>
      new Promise<GrpcAssignResponse>((resolve, reject) =>
        client['assign']!(request, (err: grpc.ServiceError | null, res: GrpcAssignResponse) =>
          err ? reject(err) : resolve(res),
        ),
      );
    try {
      await waitReady(router);
      await publish(kafka, serde, prefix, { states: [experimentState({ trafficSplit: split(5000, 5000) })] });
      await waitFor('state applied', async () => (router.core.describe('agent-1').experiment ? true : undefined), 1000);
      for (const [i, unit] of units(20).entries()) {
        const viaHttp = await assign(router.httpPort, 'agent-1', `h-${i}`, unit);
        const viaGrpc = await call({ agentId: 'agent-1', runId: `g-${i}`, unitId: unit });
        expect(viaGrpc).toMatchObject({
          agentId: 'agent-1',
          runId: `g-${i}`,
          versionId: viaHttp.versionId,
          experimentId: 'exp-1',
        });
        expect(viaGrpc.arm).toBe(viaHttp.arm === 'candidate' ? 'ARM_CANDIDATE' : 'ARM_BASELINE');
      }
      const hpkg = services.healthPackage as unknown as {
        grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
      };
      const health = new hpkg.grpc.health.v1.Health(
        `127.0.0.1:${router.grpcPort}`,
        grpc.credentials.createInsecure(),
      ) as grpc.Client & Record<string, (...a: unknown[]) => unknown>;
      const status = await new Promise<unknown>((resolve, reject) =>
        health['check']!({ service: 'learnloop.router.v1.Router' }, (err: grpc.ServiceError | null, res: unknown) =>
          err ? reject(err) : resolve(res),
        ),
      );
      health.close();
      expect(status).toEqual({ status: 'SERVING' });
    } finally {
      client.close();
      await router.stop();
    }
  });

  it('runs as `learnloop run router-sidecar` does: settings from the environment, readiness, stop hook', async () => {
    const prefix = topicPrefix('router-svc');
    await createRouterTopics(kafka, prefix);
    const lines: string[] = [];
    const svcLogger = createLogger({ level: 'info', write: (line) => lines.push(line) });
    const shutdown = createShutdown(svcLogger, 10_000);
    const readiness: Array<{ name: string; check: () => boolean | Promise<boolean> }> = [];
    const metrics = new Registry();
    await routerSidecar.start({
      logger: svcLogger,
      metrics,
      shutdown,
      env: {
        KAFKA_BROKERS: connection.KAFKA_BROKERS,
        SCHEMA_REGISTRY_URL: connection.SCHEMA_REGISTRY_URL,
        LEARNLOOP_TOPIC_PREFIX: prefix,
        LEARNLOOP_ROUTER_HTTP_PORT: '0',
        LEARNLOOP_ROUTER_GRPC_PORT: '0',
        LEARNLOOP_ROUTER_TOKEN: 'integration-token',
      },
      addReadiness: (check) => readiness.push(check),
    });
    try {
      const listening = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l['msg'] === 'router listening');
      const port = Number(listening?.['httpPort']);
      expect(port).toBeGreaterThan(0);
      await waitFor('ready', async () => ((await readiness[0]!.check()) ? true : undefined));
      await publish(kafka, serde, prefix, {
        states: [experimentState({ agentId: 'agent-svc', trafficSplit: split(5000, 5000) })],
      });
      const answer = await waitFor(
        'enrolled',
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/v1/assign`, {
            method: 'POST',
            headers: { authorization: 'Bearer integration-token' },
            body: JSON.stringify({ agentId: 'agent-svc', runId: `r-${Date.now()}` }),
          });
          const body = (await res.json()) as Assignment;
          return body.arm ? body : undefined;
        },
        2000,
      );
      expect(answer.experimentId).toBe('exp-1');
      expect((await fetch(`http://127.0.0.1:${port}/v1/assign`, { method: 'POST', body: '{}' })).status).toBe(401);
    } finally {
      expect(await shutdown.run('test')).toBe(true);
    }
    await waitFor(
      'tag published after the stop hook flushed',
      async () => ((await readTags(kafka, serde, prefix)).length === 1 ? true : undefined),
      5000,
    );
  });
});
