import { afterEach, describe, expect, it } from 'vitest';
import { Counter } from 'prom-client';
import { sendJson, startOpsServer, type OpsServer } from '../../lib/http.ts';
import { createLogger } from '../../lib/logging.ts';
import { createMetricsRegistry } from '../../lib/metrics.ts';

const logger = createLogger({ write: () => {} });
let server: OpsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const get = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${server!.port}${path}`);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
};

describe('the ops server', () => {
  it('serves the default process metrics and learnloop counters on /metrics', async () => {
    const registry = createMetricsRegistry();
    new Counter({ name: 'learnloop_test_events_total', help: 'test', registers: [registry] }).inc(3);
    server = await startOpsServer({ host: '127.0.0.1', port: 0, registry, logger });
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toContain('text/plain');
    expect(res.body).toContain('process_cpu_seconds_total');
    expect(res.body).toContain('nodejs_eventloop_lag_seconds');
    expect(res.body).toMatch(/^learnloop_test_events_total 3$/m);
  });

  it('answers /healthz while alive and /readyz only when every check passes, naming the failing ones', async () => {
    let assigned = false;
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetricsRegistry(),
      logger,
      readiness: [
        { name: 'partitions-assigned', check: () => assigned },
        { name: 'db', check: async () => true },
      ],
    });
    expect((await get('/healthz')).status).toBe(200);
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.body)).toEqual({
      status: 'not ready',
      checks: { 'partitions-assigned': false, db: true },
    });
    assigned = true;
    expect((await get('/readyz')).status).toBe(200);
  });

  it('counts a check that throws as not ready', async () => {
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetricsRegistry(),
      logger,
      readiness: [{ name: 'broken', check: () => Promise.reject(new Error('down')) }],
    });
    expect((await get('/readyz')).status).toBe(503);
  });

  it('hands other paths to the service routes, and 404s what nobody handles', async () => {
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetricsRegistry(),
      logger,
      routes: (req, res) => {
        if (req.url !== '/v1/hello') return false;
        sendJson(res, 200, { hello: 'world' });
        return true;
      },
    });
    expect(await get('/v1/hello')).toMatchObject({ status: 200, body: '{"hello":"world"}' });
    const missing = await get('/nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('GET /nope');
  });

  it('answers 500 when a route throws, and keeps serving', async () => {
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      registry: createMetricsRegistry(),
      logger,
      routes: () => {
        throw new Error('bug');
      },
    });
    expect((await get('/anything')).status).toBe(500);
    expect((await get('/healthz')).status).toBe(200);
  });
});
