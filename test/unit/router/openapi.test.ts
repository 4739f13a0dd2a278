import { Ajv2020 } from 'ajv/dist/2020.js';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpsServer, startOpsServer } from '../../../lib/http.ts';
import { createLogger } from '../../../lib/logging.ts';
import { createRouterCore } from '../../../services/router-sidecar/assigner.ts';
import { createFreshness, recordProbe } from '../../../services/router-sidecar/freshness.pure.ts';
import { httpApiRoutes } from '../../../services/router-sidecar/http-api.ts';
import { routerMetrics } from '../../../services/router-sidecar/metrics.ts';
import { openApiDocument } from '../../../services/router-sidecar/openapi.pure.ts';
import { applyExperimentState, createTable } from '../../../services/router-sidecar/table.pure.ts';
import { experimentState, shadowState } from '../../helpers/router.ts';

/** The router's OpenAPI document against the router: every documented JSON answer is one the router gives. */

type Operation = {
  operationId?: string;
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
};
const doc = openApiDocument as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
};
const token = 'openapi-token';
const registry = new Registry();
const metrics = routerMetrics(registry);
const table = createTable();
const freshness = createFreshness();
const core = createRouterCore({
  table,
  freshness,
  tags: { available: () => true, room: () => 1000, enqueue: () => {} },
  maxStateAgeMs: 60_000,
  metrics,
  logger: createLogger({ write: () => {} }),
});
let http: OpsServer;

beforeAll(async () => {
  const split = { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 };
  table.set('agent-1', applyExperimentState(undefined, experimentState({ trafficSplit: split })).view);
  table.set('agent-2', applyExperimentState(undefined, shadowState({ agentId: 'agent-2' })).view);
  recordProbe(freshness, Date.now(), []);
  http = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    registry,
    logger: createLogger({ write: () => {} }),
    readiness: [{ name: 'state', check: core.ready }],
    routes: httpApiRoutes({ core, metrics, token, maxBodyBytes: 1024 }),
  });
});
afterAll(() => http?.close());

/** Real requests, each with the path template and method it is documented under. */
const post = (body: unknown, auth = true) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${token}` } : {}) },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const get = (auth = true) => ({ headers: auth ? { authorization: `Bearer ${token}` } : {} });
const calls: Array<[template: string, method: string, url: string, init: RequestInit]> = [
  ['/v1/assign', 'post', '/v1/assign', post({ agentId: 'agent-1', runId: 'r1', unitId: 'u1' })],
  ['/v1/assign', 'post', '/v1/assign', post({ agentId: 'agent-2', runId: 'r2' })],
  ['/v1/assign', 'post', '/v1/assign', post({ agentId: 'nobody', runId: 'r3' })],
  ['/v1/assign', 'post', '/v1/assign', post({ agentId: 'agent-1' })],
  ['/v1/assign', 'post', '/v1/assign', post('{')],
  ['/v1/assign', 'post', '/v1/assign', post({ agentId: 'agent-1', runId: 'r' }, false)],
  ['/v1/assign', 'post', '/v1/assign', { method: 'PUT' }],
  [
    '/ofrep/v1/evaluate/flags/{agentId}',
    'post',
    '/ofrep/v1/evaluate/flags/agent-1',
    post({ context: { targetingKey: 'u', runId: 'r' } }),
  ],
  ['/ofrep/v1/evaluate/flags/{agentId}', 'post', '/ofrep/v1/evaluate/flags/agent-2', post({ context: { runId: 'r' } })],
  ['/ofrep/v1/evaluate/flags/{agentId}', 'post', '/ofrep/v1/evaluate/flags/agent-1', post({ context: {} })],
  ['/ofrep/v1/evaluate/flags/{agentId}', 'post', '/ofrep/v1/evaluate/flags/nobody', post({ context: { runId: 'r' } })],
  ['/ofrep/v1/evaluate/flags/{agentId}', 'post', '/ofrep/v1/evaluate/flags/agent-1', post({ context: {} }, false)],
  ['/v1/agents/{agentId}', 'get', '/v1/agents/agent-1', get()],
  ['/v1/agents/{agentId}', 'get', '/v1/agents/nobody', get()],
  ['/v1/agents/{agentId}', 'get', '/v1/agents/%E0%A4%A', get()],
  ['/v1/agents/{agentId}', 'get', '/v1/agents/agent-1', get(false)],
  ['/openapi.json', 'get', '/openapi.json', {}],
];

describe("the router's OpenAPI document", () => {
  it('names every operation once', () => {
    const ids = Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
    expect(ids.every((id) => typeof id === 'string' && id !== '')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('describes each answer the router gives, and the router gives each JSON answer it describes', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'router', components: doc.components });
    const seen = new Set<string>();
    for (const [template, method, url, init] of calls) {
      const res = await fetch(`http://127.0.0.1:${http.port}${url}`, init);
      const documented = doc.paths[template]?.[method]?.responses[String(res.status)];
      expect(documented, `${method} ${url} answered ${res.status}, which is not documented`).toBeDefined();
      const schema = documented?.content?.['application/json']?.schema;
      if (schema === undefined) continue;
      const validate = ajv.compile({ $ref: `router${(schema as { $ref?: string }).$ref ?? '#'}` });
      const body: unknown = await res.json();
      expect(validate(body), `${method} ${url} ${res.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      seen.add(`${template} ${method} ${res.status}`);
    }
    // The check can fail: an answer of another shape is refused.
    const assignment = ajv.compile({ $ref: 'router#/components/schemas/Assignment' });
    expect(
      assignment({ agentId: 'a', runId: 'r', versionId: 'v', experimentId: null, arm: 'shadow', shadow: null }),
    ).toBe(false);
    const jsonAnswers = Object.entries(doc.paths).flatMap(([template, methods]) =>
      Object.entries(methods).flatMap(([method, op]) =>
        Object.entries(op.responses)
          .filter(([, r]) => r.content?.['application/json'] !== undefined)
          .map(([status]) => `${template} ${method} ${status}`),
      ),
    );
    expect(jsonAnswers.filter((a) => !seen.has(a))).toEqual([]);
  });
});
