// The router-sidecar beside its ceilings, in the same run (issue 6):
//  - in-process assignment, ns/op (target < 1 µs);
//  - HTTP POST /v1/assign, requests/s and p50/p99 at saturation and at half of it, against a bare node:http server
//    answering a constant JSON body (targets: >= 70% of its throughput, p99 < 2 ms at half load);
//  - gRPC Router/Assign against a bare grpc-js unary handler with the same proto (>= 70%).
// Load comes from a second Node process (bench/router-load.ts) on loopback. The router's state is in memory (an ab
// experiment at 50/50, so every request is enrolled and tagged) and its tags go to a sink that drops them: this
// measures the request path, not Kafka. Usage: node bench/router.ts [measureSeconds, default 2] (about 90 s in all)
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { startOpsServer } from '../lib/http.ts';
import { createLogger } from '../lib/logging.ts';
import { experimentState } from '../test/helpers/router.ts';
import { createRouterCore, type TagSink } from '../services/router-sidecar/assigner.ts';
import { decide } from '../services/router-sidecar/decide.pure.ts';
import { createFreshness, recordProbe, stateAgeMs } from '../services/router-sidecar/freshness.pure.ts';
import { loadServices, startGrpcServer } from '../services/router-sidecar/grpc.ts';
import { bucketer } from '../services/router-sidecar/hash.pure.ts';
import { httpApiRoutes } from '../services/router-sidecar/http-api.ts';
import { routerMetrics } from '../services/router-sidecar/metrics.ts';
import { applyExperimentState, createTable } from '../services/router-sidecar/table.pure.ts';
import { machine } from './support.ts';

const measureMs = Number(process.argv[2] ?? 2) * 1000;
const warmupMs = 1000;
const concurrency = 32;
const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });

// ---- the router's state, in memory ----
const registry = new Registry();
const metrics = routerMetrics(registry);
const table = createTable();
const split = { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 };
table.set('agent-1', applyExperimentState(undefined, experimentState({ trafficSplit: split })).view);
const freshness = createFreshness();
let tagged = 0;
const sink: TagSink = { available: () => true, room: () => 1_000_000, enqueue: (tags) => void (tagged += tags.length) };
const core = createRouterCore({ table, freshness, tags: sink, maxStateAgeMs: 3_600_000, metrics, logger });
// Fresh for the whole run: probed once now, with a limit of an hour.
recordProbe(freshness, Date.now(), []);

// ---- in-process ----
function nsPerOp(label: string, ops: number, body: (i: number) => unknown): number {
  let sink = 0;
  const runOnce = () => {
    const t = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) if (body(i) === undefined) sink++;
    return Number(process.hrtime.bigint() - t) / ops;
  };
  runOnce(); // warm up the JIT
  const runs = [runOnce(), runOnce(), runOnce(), runOnce(), runOnce()].sort((a, b) => a - b);
  if (sink < 0) process.stderr.write(label);
  return runs[2]!; // the median of five
}

const ids = Array.from({ length: 100_000 }, (_, i) => `user-${i}-4a1b9c2d`);
const runIds = Array.from({ length: 100_000 }, (_, i) => `run-${i}-7f3e0b1a-22c4`);
const bucketOf = bucketer('bench-salt');
const view = table.get('agent-1');
const conditions = {
  nowMs: Date.now(),
  ready: true,
  stateAgeMs: 0,
  maxStateAgeMs: 30_000,
  taggingAvailable: true,
  tagRoom: 1000,
};
const ops = 1_000_000;
const inProcess = {
  hash: nsPerOp('hash', ops, (i) => bucketOf(ids[i % ids.length]!)),
  hashNonAscii: nsPerOp('hash', ops, (i) => bucketOf(`usuário-${i % 100_000}-日本-🦊`)),
  decide: nsPerOp('decide', ops, (i) =>
    decide(view, { agentId: 'agent-1', runId: runIds[i % runIds.length]!, unitId: ids[i % ids.length]! }, conditions),
  ),
  assign: nsPerOp('assign', ops, (i) =>
    core.assign({ agentId: 'agent-1', runId: runIds[i % runIds.length]!, unitId: ids[i % ids.length]! }, 'inprocess'),
  ),
  stateAge: nsPerOp('age', ops, () => stateAgeMs(freshness, Date.now())),
  jsonOnly: nsPerOp('json', ops, (i) =>
    JSON.stringify({
      agentId: 'agent-1',
      runId: runIds[i % runIds.length]!,
      versionId: 'v',
      experimentId: 'e',
      arm: 'candidate',
      shadow: null,
    }),
  ),
};

// ---- servers ----
const routerHttp = await startOpsServer({
  host: '127.0.0.1',
  port: 0,
  registry,
  logger,
  readiness: [{ name: 'state', check: core.ready }],
  routes: httpApiRoutes({ core, metrics, token: undefined, maxBodyBytes: 16_384 }),
});
const constantBody = JSON.stringify({
  agentId: 'agent-1',
  runId: 'run-0-7f3e0b1a-22c4',
  versionId: 'v-cand',
  experimentId: 'exp-1',
  arm: 'candidate',
  shadow: null,
});
const bare = createServer((_req, res) => {
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(constantBody),
  });
  res.end(constantBody);
});
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
const barePort = (bare.address() as AddressInfo).port;

const routerGrpc = await startGrpcServer({ host: '127.0.0.1', port: 0, core, metrics, token: undefined });
const bareGrpc = new grpc.Server();
const constantGrpc = {
  agentId: 'agent-1',
  runId: 'run-0',
  versionId: 'v-cand',
  experimentId: 'exp-1',
  arm: 'ARM_CANDIDATE',
};
bareGrpc.addService(loadServices().router, {
  Assign: (_call: unknown, cb: grpc.sendUnaryData<typeof constantGrpc>) => cb(null, constantGrpc),
});
const bareGrpcPort = await new Promise<number>((resolve, reject) =>
  bareGrpc.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
    err ? reject(err) : resolve(p),
  ),
);

// ---- load ----
interface Load {
  total: number;
  /** The server process's CPU time (user + system) per answer: what a saturated server would be limited by. */
  cpuUsPerRequest: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  p99FromDueMs: number;
  errors: number;
}
const loadScript = fileURLToPath(new URL('./router-load.ts', import.meta.url));

/** One measurement by a fresh load process; asynchronous, so that this process keeps serving meanwhile. */
function load(kind: 'http' | 'grpc', port: number, mode: 'closed' | 'open', amount: number): Promise<Load> {
  const cpu = process.cpuUsage();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        '--disable-warning=TimeoutNegativeWarning',
        loadScript,
        kind,
        String(port),
        mode,
        String(warmupMs),
        String(measureMs),
        String(amount),
      ],
      { maxBuffer: 1 << 20 },
      (err, stdout) => {
        if (err) return reject(err);
        const used = process.cpuUsage(cpu);
        const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Load;
        resolve({ ...result, cpuUsPerRequest: (used.user + used.system) / result.total });
      },
    );
  });
}

const best = (a: Load, b: Load) => (a.perSecond >= b.perSecond ? a : b);

/**
 * The ceiling and the router alternately, three times each, keeping each one's best run (the machine is shared: a
 * neighbour's burst should not decide the ratio); then each at half of its own saturation.
 */
async function compare(kind: 'http' | 'grpc', ceilingPort: number, routerPort: number) {
  await load(kind, ceilingPort, 'closed', concurrency); // warm-up, discarded
  await load(kind, routerPort, 'closed', concurrency);
  let ceiling: Load | undefined;
  let router: Load | undefined;
  for (let round = 0; round < 3; round++) {
    const c = await load(kind, ceilingPort, 'closed', concurrency);
    ceiling = ceiling ? best(ceiling, c) : c;
    const r = await load(kind, routerPort, 'closed', concurrency);
    router = router ? best(router, r) : r;
  }
  return {
    ceiling: { saturation: ceiling!, half: await load(kind, ceilingPort, 'open', Math.round(ceiling!.perSecond / 2)) },
    router: { saturation: router!, half: await load(kind, routerPort, 'open', Math.round(router!.perSecond / 2)) },
  };
}

process.stderr.write('measuring HTTP...\n');
const http = await compare('http', barePort, routerHttp.port);
process.stderr.write('measuring gRPC...\n');
const grpcResult = await compare('grpc', bareGrpcPort, routerGrpc.port);
const [httpBare, httpRouter, grpcBare, grpcRouter] = [http.ceiling, http.router, grpcResult.ceiling, grpcResult.router];

await routerHttp.close();
bare.close();
await routerGrpc.close();
bareGrpc.forceShutdown();

// ---- report ----
const f = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const row = (name: string, l: Load) =>
  `| ${name} | ${f(l.perSecond)}/s | ${f(l.cpuUsPerRequest, 1)} µs | ${f(l.p50Ms, 3)} ms | ${f(l.p99Ms, 3)} ms | ${f(l.p99FromDueMs, 3)} ms | ${l.errors} |`;
const ratios = (router: { saturation: Load }, ceiling: { saturation: Load }) =>
  `throughput ${f(router.saturation.perSecond / ceiling.saturation.perSecond, 2)}, server CPU per request ${f(ceiling.saturation.cpuUsPerRequest / router.saturation.cpuUsPerRequest, 2)} (target >= 0.70)`;
let git = '';
try {
  git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  git = 'unknown';
}
const lines = [
  `router-sidecar benchmark, ${new Date().toISOString().slice(0, 10)}, ${machine()}, commit ${git}`,
  `load from a second Node process on loopback; ${measureMs / 1000} s per measurement after ${warmupMs / 1000} s warm-up; saturation = ${concurrency} requests in flight (best of three alternating runs); half = open loop at half of that rate, latency from the write (p99 from due: from when the 1 ms pacer meant to send it)`,
  '',
  '| in-process | ns/op | target |',
  '|---|---|---|',
  `| bucket of an ASCII id (UTF-8 + MurmurHash3) | ${f(inProcess.hash, 1)} | |`,
  `| bucket of a non-ASCII id with an emoji | ${f(inProcess.hashNonAscii, 1)} | |`,
  `| decide() (hash, ranges, tag draft) | ${f(inProcess.decide, 1)} | |`,
  `| **core.assign()**: conditions, decide, tag enqueued, counters | **${f(inProcess.assign, 1)}** | < 1000 |`,
  `| for scale: JSON.stringify of the answer | ${f(inProcess.jsonOnly, 1)} | |`,
  '',
  '| HTTP | throughput | server CPU/request | p50 | p99 | p99 from due | errors |',
  '|---|---|---|---|---|---|---|',
  row('bare node:http, constant body: saturation', httpBare.saturation),
  row('bare node:http: half of its saturation', httpBare.half),
  row('**router POST /v1/assign: saturation**', httpRouter.saturation),
  row('**router: half of its saturation**', httpRouter.half),
  `| router / bare | ${ratios(httpRouter, httpBare)} | | | p99 at half load: ${f(httpRouter.half.p99Ms, 3)} ms (target < 2 ms) | | |`,
  '',
  '| gRPC | throughput | server CPU/request | p50 | p99 | p99 from due | errors |',
  '|---|---|---|---|---|---|---|',
  row('bare grpc-js unary handler, constant answer: saturation', grpcBare.saturation),
  row('bare grpc-js: half of its saturation', grpcBare.half),
  row('**router Router/Assign: saturation**', grpcRouter.saturation),
  row('**router: half of its saturation**', grpcRouter.half),
  `| router / bare | ${ratios(grpcRouter, grpcBare)} | | | p99 at half load: ${f(grpcRouter.half.p99Ms, 3)} ms | | |`,
  '',
  `(${f(tagged)} tags handed to the sink)`,
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0);
