// The learning page: server time and bytes of the agents page at 10,000 agents and of an experiment page with 5,000
// verdicts, beside a static file served by the same server in the same run; then the first render of each in chromium
// (navigation to the load event, chart drawn). Usage: node bench/page.ts [requests per page = 30]
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { Registry } from 'prom-client';
import { sql } from 'kysely';
import { physicalNameFor } from '../lib/config.ts';
import { appendAudit } from '../lib/db/repositories/audit.ts';
import { createToken } from '../lib/db/repositories/tokens.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { createSerde } from '../lib/kafka/serde.ts';
import { createLogger } from '../lib/logging.ts';
import { startControlPlane } from '../services/control-plane/control-plane.ts';
import { seedExperiment, testPolicy } from '../test/helpers/judge.ts';
import { benchConnection, benchDatabase, machine } from './support.ts';

const requests = Number(process.argv[2] ?? 30);
const agents = 10_000;
const verdicts = 5_000;

const connection = await benchConnection();
const database = await benchDatabase(connection.DATABASE_URL);
const { db } = database;

// 10,000 agents, one in ten paused, one experiment among them (the one with the verdicts).
await sql`INSERT INTO agents (id, name) SELECT 'agent-' || lpad(i::text, 5, '0'), 'Agent number ' || i FROM generate_series(1, ${agents}) i`.execute(
  db,
);
await sql`INSERT INTO policies (agent_id, version, policy, created_by)
  SELECT 'agent-' || lpad(i::text, 5, '0'), 1, '{"paused": true}'::jsonb, 'bench' FROM generate_series(1, ${agents}, 10) i`.execute(
  db,
);
const seeded = await seedExperiment(db, {
  riskTier: 'high',
  policy: testPolicy(),
  startedAt: new Date(Date.now() - 7 * 24 * 3_600_000),
});
const started = Date.now() - verdicts * 60_000;
const moments = (n: number, mean: number) => ({ n, sum: n * mean, sumSquares: n * mean * mean * 1.1 });
for (let i = 0; i < verdicts; i++) {
  const n = 100 + i * 10;
  const half = 0.5 / Math.sqrt(n);
  const arm = (name: string, mean: number) => ({
    arm: name,
    versionId: name === 'baseline' ? seeded.baselineVersionId : seeded.candidateVersionId,
    score: moments(n, mean),
    failure: moments(n, 0.02),
    guardrailHit: moments(n, 0.01),
    costUsd: moments(n, 0.001),
  });
  await appendAudit(db, {
    actor: 'experiment-judge',
    action: 'experiment.verdict',
    agent_id: seeded.agentId,
    subject_type: 'experiment',
    subject_id: seeded.experimentId,
    at: new Date(started + i * 60_000),
    payload: {
      kind: 'judge.decision',
      decision: { action: 'continue', reasons: [{ code: 'primary_inconclusive', detail: null }] },
      statistics: {
        arms: [arm('baseline', 0.6), arm('candidate', 0.65)],
        primary: {
          metric: 'score',
          estimate: 0.05,
          lower: 0.05 - half,
          upper: 0.05 + half,
          alpha: 0.05,
          outcome: 'inconclusive',
        },
        guardrails: [],
        srm: null,
      },
      primaryDetail: {
        metric: 'score',
        higherIsBetter: true,
        pValue: 0.2,
        chanceToWin: 0.9,
        relative: null,
        winRate: null,
        pairs: null,
      },
      inputs: { now: new Date(started + i * 60_000).toISOString() },
    },
  });
}

const logger = createLogger({ level: 'error', write: () => {} });
const cp = await startControlPlane({
  db,
  databaseUrl: database.url,
  kafka: createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'bench-page', logger }),
  serde: createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL }),
  physicalName: physicalNameFor(`bench-page-${Date.now()}`),
  host: '127.0.0.1',
  port: 0,
  maxBodyBytes: 16_384,
  logger,
  metrics: new Registry(),
});
const token = (await createToken(db, { name: 'bench', role: 'viewer', created_by: 'bench' })).token;
const base = `http://127.0.0.1:${cp.port}`;
const cookie = `learnloop_token=${encodeURIComponent(token)}`;

async function measure(target: string): Promise<{ p50: number; p95: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < requests + 3; i++) {
    const t0 = performance.now();
    const response = await fetch(`${base}${target}`, { headers: { cookie } });
    const body = Buffer.from(await response.arrayBuffer());
    if (!response.ok) throw new Error(`${target}: HTTP ${response.status}`);
    if (i >= 3) times.push(performance.now() - t0);
    bytes = body.length;
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)]!, p95: times[Math.floor(times.length * 0.95)]!, bytes };
}

const pages = [
  ['static file (/assets/page.css)', '/assets/page.css'],
  ['static file (/assets/uPlot.iife.min.js)', '/assets/uPlot.iife.min.js'],
  ['agents page, first of 10,000 (sorted by name)', '/'],
  ['agents page, last of 10,000', '/?sort=name&order=asc&offset=9950'],
  ['agents page, filtered (q=99, paused)', '/?q=99&mode=paused&sort=name&order=asc'],
  ['experiment page, 5,000 verdicts', `/agents/${seeded.agentId}/experiments/${seeded.experimentId}`],
] as const;

const lines = [`learning page benchmark on ${machine()}; ${requests} sequential requests per page after 3 warm-ups\n`];
lines.push('| page | server p50 | p95 | bytes |', '|---|---|---|---|');
for (const [label, target] of pages) {
  const m = await measure(target);
  lines.push(`| ${label} | ${m.p50.toFixed(1)} ms | ${m.p95.toFixed(1)} ms | ${m.bytes.toLocaleString('en')} |`);
}

const executablePath = process.env.LEARNLOOP_CHROMIUM ?? '/usr/bin/chromium';
if (existsSync(executablePath)) {
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const context = await browser.newContext();
  await context.addCookies([{ name: 'learnloop_token', value: encodeURIComponent(token), url: base }]);
  const page = await context.newPage();
  lines.push('', '| first render in chromium (navigation to load, chart drawn) | ms |', '|---|---|');
  for (const [label, target] of pages.slice(2)) {
    const samples: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      await page.goto(`${base}${target}`, { waitUntil: 'load' });
      if (target.includes('/experiments/')) await page.locator('#cs-chart canvas').waitFor();
      if (i > 0) samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    lines.push(`| ${label} | ${samples[Math.floor(samples.length / 2)]!.toFixed(0)} |`);
  }
  await browser.close();
}
console.log(lines.join('\n'));
await cp.stop();
await database.drop();
