// The control plane's API: requests per second and latency of its common reads and writes, each beside a bare
// node:http server answering the same request with the least it must do (the token lookup, plus for a write the same
// kind of row written in a transaction), on the same Postgres, in the same run. The figure of interest is the API's own
// cost over that floor: routing, authentication, validation, the read model, the audit chain.
// Usage: node bench/control-plane.ts [seconds per measurement = 5] [concurrency = 8]
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Registry } from 'prom-client';
import { sql } from 'kysely';
import { physicalNameFor } from '../lib/config.ts';
import { hashToken } from '../lib/auth/tokens.ts';
import { updateExperiment } from '../lib/db/repositories/experiments.ts';
import { requestApproval } from '../lib/db/repositories/approvals.ts';
import { createToken } from '../lib/db/repositories/tokens.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { createSerde } from '../lib/kafka/serde.ts';
import { createLogger } from '../lib/logging.ts';
import { addCompletion, addEvaluation } from '../services/experiment-judge/accumulate.pure.ts';
import { newJudgeState } from '../services/experiment-judge/model.pure.ts';
import { startControlPlane } from '../services/control-plane/control-plane.ts';
import { seedExperiment, testPolicy } from '../test/helpers/judge.ts';
import { benchConnection, benchDatabase, machine } from './support.ts';

const seconds = Number(process.argv[2] ?? 5);
const concurrency = Number(process.argv[3] ?? 8);

interface Load {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** `concurrency` requests always in flight for `seconds` (after a one-second warm-up); latency per request. */
async function closedLoop(request: (i: number) => Promise<Response>): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  let i = 0;
  const warmUntil = performance.now() + 1000;
  const until = warmUntil + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const started = performance.now();
      const response = await request(i++);
      await response.arrayBuffer();
      if (!response.ok) errors += 1;
      if (started >= warmUntil) {
        latencies.push(performance.now() - started);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { perSecond: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), errors };
}

/** The floor: a bare server that authenticates (one indexed SELECT) and, for a write, inserts a row in a transaction. */
async function bareServer(url: string): Promise<{ port: number; server: Server; pool: pg.Pool }> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  const server = createServer((req, res) => {
    void (async () => {
      const token = (req.headers.authorization ?? '').slice('Bearer '.length);
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const found = await pool.query(
        'SELECT id, name, role FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
        [hashToken(token)],
      );
      if (found.rowCount === 0) {
        res.writeHead(401).end();
        return;
      }
      if (req.method === 'POST') {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query(
            "INSERT INTO daily_rollups (day, agent_id, metric, value) VALUES (current_date, $1, 'bench', 1) ON CONFLICT (day, agent_id, metric) DO UPDATE SET value = daily_rollups.value + 1",
            [req.url],
          );
          await client.query('COMMIT');
        } finally {
          client.release();
        }
      }
      const body = JSON.stringify({ ok: true, body: Buffer.concat(chunks).length });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server, pool };
}

const connection = await benchConnection();
const database = await benchDatabase(connection.DATABASE_URL);
const logger = createLogger({ level: 'error', write: () => {} });
const cp = await startControlPlane({
  db: database.db,
  databaseUrl: database.url,
  kafka: createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'bench-control-plane', logger }),
  serde: createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL }),
  physicalName: physicalNameFor(`bench-cp-${Date.now()}`),
  host: '127.0.0.1',
  port: 0,
  maxBodyBytes: 262_144,
  logger,
  metrics: new Registry(),
});
const bare = await bareServer(database.url);

// An agent with an experiment the judge has counted 2,000 runs of, and 50 pending approvals of other agents.
const seeded = await seedExperiment(database.db, { riskTier: 'high', policy: testPolicy(), startedAt: new Date() });
const state = newJudgeState(seeded.startedAt.getTime());
for (let i = 0; i < 1000; i++) {
  for (const side of ['baseline', 'candidate'] as const) {
    addCompletion(state.statistics, side, {
      failure: i % 10 === 0 ? 1 : 0,
      guardrailHit: 0,
      costUsd: 0.01,
      latencyMs: 800 + (i % 50),
    });
    addEvaluation(state.statistics, side, {
      score: side === 'candidate' ? 0.72 + (i % 7) / 100 : 0.7 + (i % 7) / 100,
      passed: 1,
    });
  }
}
await sql`INSERT INTO judge_experiments (experiment_id, state) VALUES (${seeded.experimentId}, ${JSON.stringify(state)}::jsonb)`.execute(
  database.db,
);
for (let i = 0; i < 50; i++) {
  const other = await seedExperiment(database.db, { riskTier: 'medium', policy: testPolicy(), startedAt: new Date() });
  const row = await database.db
    .selectFrom('experiments')
    .select('version')
    .where('id', '=', other.experimentId)
    .executeTakeFirstOrThrow();
  await updateExperiment(database.db, other.experimentId, row.version, { status: 'awaiting_approval' });
  await requestApproval(database.db, {
    experiment_id: other.experimentId,
    proposal_id: other.proposalId,
    expires_at: new Date(Date.now() + 86_400_000),
  });
}
const { token } = await createToken(database.db, { name: 'bench', role: 'admin', created_by: 'bench' });
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const api = `http://127.0.0.1:${cp.port}`;
const floor = `http://127.0.0.1:${bare.port}`;
const agent = encodeURIComponent(seeded.agentId);

const only = process.env['BENCH_ONLY'];
const allScenarios: Array<{ name: string; request: (base: string, i: number) => Promise<Response> }> = [
  {
    name: 'GET  .../learning/status (policy, session, experiment with statistics)',
    request: (base) => fetch(`${base}/api/agents/${agent}/learning/status`, { headers }),
  },
  {
    name: 'GET  /api/approvals?status=pending (50 pending)',
    request: (base) => fetch(`${base}/api/approvals?status=pending`, { headers }),
  },
  { name: 'GET  /api/audit?limit=100', request: (base) => fetch(`${base}/api/audit?limit=100`, { headers }) },
  {
    name: 'POST .../learning/policy (validate, new version, audit entry)',
    request: (base, i) =>
      fetch(`${base}/api/agents/${agent}/learning/policy`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ policy: { trigger: { minRuns: 50 + (i % 1000) } } }),
      }),
  },
];
const scenarios = allScenarios.filter((s) => only === undefined || s.name.includes(only));

process.stdout.write(
  `control-plane benchmark on ${machine()}; ${concurrency} requests in flight, ${seconds} s per measurement, same process\n\n`,
);
process.stdout.write(
  `| request | API req/s | p50 / p99 | bare floor req/s | p50 / p99 | API / floor |\n|---|---|---|---|---|---|\n`,
);
for (const s of scenarios) {
  process.stderr.write(`measuring: ${s.name}\n`);
  const measured = await closedLoop((i) => s.request(api, i));
  const baseline = await closedLoop((i) => s.request(floor, i));
  const f = (x: number, d = 2) => x.toFixed(d);
  process.stdout.write(
    `| ${s.name} | ${f(measured.perSecond, 0)} | ${f(measured.p50Ms)} / ${f(measured.p99Ms)} ms | ${f(baseline.perSecond, 0)} | ${f(baseline.p50Ms)} / ${f(baseline.p99Ms)} ms | ${f(measured.perSecond / baseline.perSecond)} |${measured.errors + baseline.errors > 0 ? ` errors: ${measured.errors}/${baseline.errors}` : ''}\n`,
  );
}
const versions = await database.db
  .selectFrom('policies')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .executeTakeFirstOrThrow();
process.stdout.write(
  `\npolicy versions written: ${versions.n}; audit chain length: ${(await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log`.execute(database.db)).rows[0]!.n}\n`,
);

await cp.stop();
await new Promise((r) => bare.server.close(r));
await bare.pool.end();
await database.drop();
