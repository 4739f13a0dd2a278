import grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpsServer, type OpsServer } from '../../../lib/http.ts';
import { createLogger } from '../../../lib/logging.ts';
import { createRouterCore, type TagSink } from '../../../services/router-sidecar/assigner.ts';
import type { TagDraft } from '../../../services/router-sidecar/decide.pure.ts';
import { createFreshness, recordProbe } from '../../../services/router-sidecar/freshness.pure.ts';
import {
  loadServices,
  startGrpcServer,
  type GrpcAssignResponse,
  type RunningGrpcServer,
} from '../../../services/router-sidecar/grpc.ts';
import { bucketOf } from '../../../services/router-sidecar/hash.pure.ts';
import { httpApiRoutes } from '../../../services/router-sidecar/http-api.ts';
import { routerMetrics } from '../../../services/router-sidecar/metrics.ts';
import { openApiDocument } from '../../../services/router-sidecar/openapi.pure.ts';
import { applyExperimentState, createTable } from '../../../services/router-sidecar/table.pure.ts';
import { experimentState } from '../../helpers/router.ts';

/** The HTTP and gRPC transports over an in-memory state (no Kafka): the boundary, auth and answers. */

const logger = createLogger({ write: () => {} });
const token = 'test-token-123';
const registry = new Registry();
const metrics = routerMetrics(registry);
const table = createTable();
const freshness = createFreshness();
const enqueued: TagDraft[] = [];
const sink: TagSink = { available: () => true, room: () => 1000, enqueue: (tags) => enqueued.push(...tags) };
const core = createRouterCore({ table, freshness, tags: sink, maxStateAgeMs: 60_000, metrics, logger });
let http: OpsServer;
let grpcServer: RunningGrpcServer;
let client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;

const candidateUnit = (() => {
  for (let i = 0; ; i++) if (bucketOf('salt-1', `u-${i}`) < 5000) return `u-${i}`;
})();

beforeAll(async () => {
  table.set(
    'agent-1',
    applyExperimentState(
      undefined,
      experimentState({
        trafficSplit: { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 },
      }),
    ).view,
  );
  recordProbe(freshness, Date.now(), []);
  http = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    registry,
    logger,
    readiness: [{ name: 'state', check: core.ready }],
    routes: httpApiRoutes({ core, metrics, token, maxBodyBytes: 1024 }),
  });
  grpcServer = await startGrpcServer({ host: '127.0.0.1', port: 0, core, metrics, token });
  const Router = (
    loadServices().routerPackage as unknown as {
      learnloop: { router: { v1: { Router: grpc.ServiceClientConstructor } } };
    }
  ).learnloop.router.v1.Router;
  client = new Router(`127.0.0.1:${grpcServer.port}`, grpc.credentials.createInsecure()) as typeof client;
});

afterAll(async () => {
  client.close();
  await grpcServer.close();
  await http.close();
});

const post = async (body: string, auth: string | null = `Bearer ${token}`) => {
  const res = await fetch(`http://127.0.0.1:${http.port}/v1/assign`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('POST /v1/assign', () => {
  it('answers with exactly the documented fields', async () => {
    const res = await post(JSON.stringify({ agentId: 'agent-1', runId: 'run-1', unitId: candidateUnit }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      agentId: 'agent-1',
      runId: 'run-1',
      versionId: 'v-cand',
      experimentId: 'exp-1',
      arm: 'candidate',
      shadow: null,
    });
    expect(enqueued.at(-1)).toMatchObject({ runId: 'run-1', arm: 'candidate', versionId: 'v-cand' });
    const unknown = await post(JSON.stringify({ agentId: 'nobody', runId: 'run-2' }));
    expect(unknown.body).toEqual({
      agentId: 'nobody',
      runId: 'run-2',
      versionId: null,
      experimentId: null,
      arm: null,
      shadow: null,
    });
  });

  it('400 with a JSON error naming the field: malformed JSON, missing ids, wrong types, oversized body', async () => {
    expect(await post('{"agentId":')).toEqual({
      status: 400,
      body: { error: 'body: is not valid JSON', field: 'body' },
    });
    expect(await post(JSON.stringify({ agentId: 'a' }))).toEqual({
      status: 400,
      body: { error: 'runId: is required', field: 'runId' },
    });
    expect(await post(JSON.stringify({ agentId: '', runId: 'r' }))).toEqual({
      status: 400,
      body: { error: 'agentId: must not be empty', field: 'agentId' },
    });
    expect(await post(JSON.stringify({ agentId: 'a', runId: 'r', unitId: 5 }))).toMatchObject({
      status: 400,
      body: { field: 'unitId' },
    });
    const big = await post(JSON.stringify({ agentId: 'a', runId: 'x'.repeat(2000) }));
    expect(big).toEqual({ status: 400, body: { error: 'body: larger than 1024 bytes', field: 'body' } });
  });

  it('401 without the bearer token, or with a wrong one', async () => {
    expect((await post(JSON.stringify({ agentId: 'a', runId: 'r' }), null)).status).toBe(401);
    expect((await post(JSON.stringify({ agentId: 'a', runId: 'r' }), 'Bearer nope')).status).toBe(401);
    const describeRes = await fetch(`http://127.0.0.1:${http.port}/v1/agents/agent-1`);
    expect(describeRes.status).toBe(401);
  });

  it('405 for another method', async () => {
    const res = await fetch(`http://127.0.0.1:${http.port}/v1/assign`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(405);
  });
});

describe('GET /v1/agents/{agentId}, /openapi.json and the ops endpoints', () => {
  it('shows what the router believes: live version, experiment, split and ranges, state age', async () => {
    const res = await fetch(`http://127.0.0.1:${http.port}/v1/agents/agent-1`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      agentId: 'agent-1',
      liveVersionId: 'v-base',
      liveVersionSource: 'experiment',
      promotion: null,
      experiment: {
        experimentId: 'exp-1',
        version: 1,
        status: 'running',
        mode: 'ab',
        assigning: true,
        split: { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 },
        ranges: { candidate: [0, 5000], baseline: [5000, 10000], shadowSample: [0, 0] },
      },
      ready: true,
      maxStateAgeMs: 60_000,
    });
    expect(body['stateAgeMs']).toBeGreaterThanOrEqual(0);
    const encoded = await fetch(
      `http://127.0.0.1:${http.port}/v1/agents/${encodeURIComponent('an agent/with slash')}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(await encoded.json()).toMatchObject({
      agentId: 'an agent/with slash',
      liveVersionId: null,
      experiment: null,
    });
  });

  it('serves the OpenAPI document without a token, and /metrics, /healthz, /readyz on the same port', async () => {
    const doc = await fetch(`http://127.0.0.1:${http.port}/openapi.json`);
    expect(await doc.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
    expect((await fetch(`http://127.0.0.1:${http.port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${http.port}/readyz`)).status).toBe(200);
    const text = await (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();
    expect(text).toMatch(/learnloop_router_assignments_total\{transport="http",outcome="candidate"\} [1-9]/);
    expect(text).toMatch(/learnloop_router_request_errors_total\{transport="http",reason="bad_request"\} [1-9]/);
    expect(text).not.toContain('agent-1');
  });
});

describe('gRPC', () => {
  const call = (request: Record<string, unknown>, auth: string | null = `Bearer ${token}`) =>
    new Promise<{ err: grpc.ServiceError | null; res: GrpcAssignResponse | undefined }>((resolve) => {
      const md = new grpc.Metadata();
      if (auth) md.set('authorization', auth);
      client['assign']!(request, md, (err: grpc.ServiceError | null, res: GrpcAssignResponse | undefined) =>
        resolve({ err, res }),
      );
    });

  it('Router/Assign gives the same answer as HTTP', async () => {
    const { err, res } = await call({ agentId: 'agent-1', runId: 'run-g', unitId: candidateUnit });
    expect(err).toBeNull();
    expect(res).toMatchObject({
      agentId: 'agent-1',
      runId: 'run-g',
      versionId: 'v-cand',
      experimentId: 'exp-1',
      arm: 'ARM_CANDIDATE',
    });
    const none = await call({ agentId: 'nobody', runId: 'run-h' });
    expect(none.res).toMatchObject({ agentId: 'nobody', runId: 'run-h', arm: 'ARM_UNSPECIFIED' });
    expect(none.res?.versionId).toBeUndefined();
  });

  it('INVALID_ARGUMENT naming the field; UNAUTHENTICATED without the token', async () => {
    const bad = await call({ agentId: 'agent-1' });
    expect(bad.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(bad.err?.details).toBe('runId: is required');
    const unauth = await call({ agentId: 'agent-1', runId: 'r' }, null);
    expect(unauth.err?.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('answers grpc.health.v1.Health/Check for the server and for the router', async () => {
    const Health = (
      loadServices().healthPackage as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } }
    ).grpc.health.v1.Health;
    const health = new Health(`127.0.0.1:${grpcServer.port}`, grpc.credentials.createInsecure()) as grpc.Client &
      Record<string, (...a: unknown[]) => unknown>;
    const check = (service: string) =>
      new Promise<{ err: grpc.ServiceError | null; res: { status: string } | undefined }>((resolve) =>
        health['check']!({ service }, (err: grpc.ServiceError | null, res: { status: string } | undefined) =>
          resolve({ err, res }),
        ),
      );
    expect((await check('')).res).toEqual({ status: 'SERVING' });
    expect((await check('learnloop.router.v1.Router')).res).toEqual({ status: 'SERVING' });
    expect((await check('something.Else')).err?.code).toBe(grpc.status.NOT_FOUND);
    health.close();
  });
});

describe('an internal error', () => {
  it('serves the live version untagged and counts internal_error', async () => {
    const m = routerMetrics(new Registry());
    const t = createTable();
    const view = applyExperimentState(
      undefined,
      experimentState({
        trafficSplit: { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 },
      }),
    ).view;
    view.experiment!.bucketOf = () => {
      throw new Error('boom');
    };
    t.set('agent-1', view);
    const f = createFreshness();
    recordProbe(f, Date.now(), []);
    const tags: TagDraft[] = [];
    const c = createRouterCore({
      table: t,
      freshness: f,
      tags: { available: () => true, room: () => 10, enqueue: (x) => tags.push(...x) },
      maxStateAgeMs: 60_000,
      metrics: m,
      logger,
    });
    expect(c.assign({ agentId: 'agent-1', runId: 'r', unitId: null }, 'inprocess')).toEqual({
      agentId: 'agent-1',
      runId: 'r',
      versionId: 'v-base',
      experimentId: null,
      arm: null,
      shadow: null,
    });
    expect(tags).toEqual([]);
    const counted = await m.registry.getSingleMetric('learnloop_router_fail_safe_total')?.get();
    expect(counted?.values.find((v) => v.labels['reason'] === 'internal_error')?.value).toBe(1);
  });
});
