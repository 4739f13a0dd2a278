import { createServer } from 'node:net';
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OpenFeature } from '@openfeature/server-sdk';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLearnloopClient } from '../../../lib/client/index.ts';
import type { RunCompleted, RunEvaluated } from '../../../lib/contracts/types.generated.ts';
import { createKafka } from '../../../lib/kafka/client.ts';
import { createSerde } from '../../../lib/kafka/serde.ts';
import { createLogger } from '../../../lib/logging.ts';
import type { RunningRouter } from '../../../services/router-sidecar/router.ts';
import { createCatalogTopics, readAll, topicPrefix } from '../../helpers/kafka-topics.ts';
import { experimentState, shadowState } from '../../helpers/router.ts';
import { testConnection } from '../../setup/connection.ts';
import { assign, deadPort, metricValue, publish, startTestRouter, waitFor, waitReady } from './support.ts';

/**
 * learnloop/client, and OpenFeature's own OFREP provider, against a router on the real stack: the same answers as a
 * bare call to /v1/assign, the reports on the topics.
 */

const connection = testConnection();
const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });
const kafka = createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'client-test', logger });
const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });
const prefix = topicPrefix('client');
const events = {
  brokers: connection.KAFKA_BROKERS.split(','),
  registryUrl: connection.SCHEMA_REGISTRY_URL,
  topicPrefix: `${prefix}.`,
  logger,
};
const split = { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 };
let router: RunningRouter;

beforeAll(async () => {
  await createCatalogTopics(kafka, prefix);
  router = await startTestRouter(kafka, serde, prefix, logger);
  await publish(kafka, serde, prefix, {
    states: [
      experimentState({ trafficSplit: split }),
      shadowState({
        agentId: 'agent-2',
        experimentId: 'exp-2',
        trafficSplit: { candidateBasisPoints: 0, baselineBasisPoints: 0, shadowSampleBasisPoints: 10_000 },
      }),
    ],
  });
  await waitReady(router);
  await waitFor('both experiments held', async () =>
    (await assign(router.httpPort, 'agent-2', 'probe')).shadow &&
    (await assign(router.httpPort, 'agent-1', 'p', 'u')).arm
      ? true
      : undefined,
  );
}, 60_000);
afterAll(() => router?.stop());

async function decoded<T>(topic: string): Promise<T[]> {
  const records = await readAll(kafka, `${prefix}.${topic}`);
  return Promise.all(records.map(async (r) => (await serde.decode(r.value)).value as T));
}

describe('learnloop/client on a real router', () => {
  it('assigns over HTTP and gRPC exactly as the router answers a bare call', async () => {
    // A generous timeout: this test compares answers, on a machine that may be busy.
    const http = createLearnloopClient({ routerUrl: `http://127.0.0.1:${router.httpPort}`, timeoutMs: 5000 });
    const grpc = createLearnloopClient({ grpcAddress: `127.0.0.1:${router.grpcPort}`, timeoutMs: 5000 });
    try {
      const arms = new Set<string | null>();
      for (let i = 0; i < 40; i++) {
        const request = { agentId: 'agent-1', runId: `run-${i}`, unitId: `user-${i}`, liveVersionId: 'v-live' };
        const bare = await assign(router.httpPort, request.agentId, request.runId, request.unitId);
        const expected = { ...bare, unitId: request.unitId, fallback: null };
        expect(await http.assign(request)).toEqual(expected);
        expect(await grpc.assign(request)).toEqual(expected);
        arms.add(bare.arm);
      }
      expect(arms).toEqual(new Set(['baseline', 'candidate']));
      expect(await http.assign({ agentId: 'unknown', runId: 'r', liveVersionId: 'v-live' })).toMatchObject({
        versionId: 'v-live',
        arm: null,
        fallback: null,
      });
      expect(http.fallbacks()).toMatchObject({ timeout: 0, unreachable: 0, rejected: 0, bad_answer: 0 });
      await expect(http.assign({ agentId: 'agent-1', runId: '', liveVersionId: 'v' })).rejects.toThrow(/runId/);
    } finally {
      await http.close();
      await grpc.close();
    }
  });

  it("reports the run, its evaluation and a shadow run with the router's tags", async () => {
    const client = createLearnloopClient({ routerUrl: `http://127.0.0.1:${router.httpPort}`, events });
    try {
      const a = await client.assign({ agentId: 'agent-2', runId: 'run-shadowed', unitId: 'u-1', liveVersionId: 'v-0' });
      expect(a).toMatchObject({ versionId: 'v-base', arm: 'baseline', shadow: { versionId: 'v-cand' } });
      const startedAt = new Date();
      await client.reportRun(a, { startedAt, completedAt: new Date(startedAt.getTime() + 5), costUsd: 0.01 });
      await client.reportEvaluation(a, { evaluatorId: 'judge', score: 0.75, passed: true });
      let executed = '';
      const shadow = await client.runShadow(
        a,
        (versionId) => {
          executed = versionId;
          return { output: `answer of ${versionId}`, costUsd: 0.02, toolCalls: 2 };
        },
        (output) => ({ evaluatorId: 'judge', score: output.includes('v-cand') ? 0.5 : 0, passed: false }),
      );
      expect(executed).toBe('v-cand');
      expect(shadow).not.toHaveProperty('output');
      const failing = await client.runShadow(a, () => {
        throw new Error('the candidate broke');
      });
      expect(failing?.completed.status).toBe('failed');

      const completed = await waitFor('the completed events', async () => {
        const got = await decoded<RunCompleted>('agent.run.completed.v1');
        return got.length >= 3 ? got : undefined;
      });
      expect(completed.map((e) => [e.runId, e.arm, e.experimentId, e.agentVersionId, e.status]).sort()).toEqual([
        ['run-shadowed', 'baseline', 'exp-2', 'v-base', 'succeeded'],
        ['run-shadowed', 'shadow', 'exp-2', 'v-cand', 'failed'],
        ['run-shadowed', 'shadow', 'exp-2', 'v-cand', 'succeeded'],
      ]);
      expect(completed.find((e) => e.arm === 'shadow' && e.status === 'succeeded')).toMatchObject({
        costUsd: 0.02,
        toolCalls: 2,
        unitId: 'u-1',
      });
      const evaluated = await waitFor('the evaluated events', async () => {
        const got = await decoded<RunEvaluated>('agent.run.evaluated.v1');
        return got.length >= 2 ? got : undefined;
      });
      expect(evaluated.map((e) => [e.arm, e.score]).sort()).toEqual([
        ['baseline', 0.75],
        ['shadow', 0.5],
      ]);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('serves the live version, untagged and counted, when the router is down or does not answer in time', async () => {
    const metrics = new Registry();
    const request = { agentId: 'agent-1', runId: 'run-x', unitId: 'user-1', liveVersionId: 'v-live' };
    const down = await deadPort();
    const silent = createServer(() => {}); // accepts connections and never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    const clients = {
      httpDown: createLearnloopClient({ routerUrl: `http://127.0.0.1:${down}`, metrics, logger }),
      grpcDown: createLearnloopClient({ grpcAddress: `127.0.0.1:${down}`, logger }),
      httpSilent: createLearnloopClient({
        routerUrl: `http://127.0.0.1:${silentPort}`,
        timeoutMs: 50,
        metrics,
        logger,
      }),
      grpcSilent: createLearnloopClient({ grpcAddress: `127.0.0.1:${silentPort}`, timeoutMs: 50, logger }),
    };
    try {
      const fallback = { versionId: 'v-live', experimentId: null, arm: null, shadow: null };
      expect(await clients.httpDown.assign(request)).toMatchObject({ ...fallback, fallback: 'unreachable' });
      expect(await clients.grpcDown.assign(request)).toMatchObject({ ...fallback, fallback: 'unreachable' });
      const started = Date.now();
      expect(await clients.httpSilent.assign(request)).toMatchObject({ ...fallback, fallback: 'timeout' });
      expect(await clients.grpcSilent.assign(request)).toMatchObject(fallback);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(clients.httpDown.fallbacks().unreachable).toBe(1);
      expect(await metricValue(metrics, 'learnloop_client_fallbacks_total', { reason: 'unreachable' })).toBe(1);
      expect(await metricValue(metrics, 'learnloop_client_fallbacks_total', { reason: 'timeout' })).toBe(1);
    } finally {
      for (const c of Object.values(clients)) await c.close();
      silent.close();
    }
  });
});

describe("OpenFeature's OFREP provider on the router", () => {
  it('resolves an agent to the same version and arm as /v1/assign, with the experiment as flag metadata', async () => {
    await OpenFeature.setProviderAndWait(new OFREPProvider({ baseUrl: `http://127.0.0.1:${router.httpPort}` }));
    const flags = OpenFeature.getClient();
    try {
      const arms = new Set<string | null>();
      for (let i = 0; i < 30; i++) {
        const bare = await assign(router.httpPort, 'agent-1', `ofrep-${i}`, `user-${i}`);
        const details = await flags.getStringDetails('agent-1', 'v-live', {
          targetingKey: `user-${i}`,
          runId: `ofrep-${i}`,
        });
        expect(details).toMatchObject({
          value: bare.versionId,
          variant: bare.arm,
          reason: 'SPLIT',
          flagMetadata: { experimentId: bare.experimentId, arm: bare.arm },
        });
        expect(details.errorCode).toBeUndefined();
        arms.add(bare.arm);
      }
      expect(arms).toEqual(new Set(['baseline', 'candidate']));
      const shadowed = await flags.getStringDetails('agent-2', 'v-live', { targetingKey: 'u-9', runId: 'ofrep-s' });
      expect(shadowed).toMatchObject({
        value: 'v-base',
        variant: 'baseline',
        flagMetadata: { shadowVersionId: 'v-cand' },
      });

      // The caller's default, with OFREP's error codes, when the router cannot assign.
      const noRun = await flags.getStringDetails('agent-1', 'v-live', { targetingKey: 'user-1' });
      expect(noRun).toMatchObject({ value: 'v-live', errorCode: 'INVALID_CONTEXT', reason: 'ERROR' });
      expect(noRun.errorMessage).toContain('runId');
      const unknown = await flags.getStringDetails('no-such-agent', 'v-live', { targetingKey: 'u', runId: 'r' });
      expect(unknown).toMatchObject({ value: 'v-live', errorCode: 'FLAG_NOT_FOUND' });
    } finally {
      await OpenFeature.close();
    }
  });
});
