// learnloop/client's assign() beside a bare call to the same router, in the same run (issue 16): over HTTP, against
// a bare node:http request on a keep-alive agent (and fetch, for reference) that parses the answer; over gRPC,
// against a bare grpc-js Router/Assign call. The router runs in a worker thread (bench/client-router.ts). Each pair
// is measured one call at a time and with 16 calls in flight, in back-to-back slices (compare below), plus the
// client's own CPU work per call. Target: the client costs under 10% on top. Usage: node bench/client.ts [pairs, 20]
import http from 'node:http';
import { Worker } from 'node:worker_threads';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { assignInputProblem, fromJsonAnswer } from '../lib/client/assignment.pure.ts';
import { createLearnloopClient } from '../lib/client/index.ts';
import { protoOptions, routerProtoPath } from '../lib/router/proto.ts';
import { machine } from './support.ts';

const pairs = Number(process.argv[2] ?? 20);
const sliceMs = 250;
const inFlight = 16;

const worker = new Worker(new URL('./client-router.ts', import.meta.url));
const { httpPort, grpcPort } = await new Promise<{ httpPort: number; grpcPort: number }>((resolve, reject) => {
  worker.once('message', resolve);
  worker.once('error', reject);
});

type Call = (i: number) => Promise<unknown>;
const request = (i: number) => ({ agentId: 'agent-1', runId: `run-${i}`, unitId: `user-${i % 10_000}` });

// ---- bare HTTP: what a caller would write by hand ----
const agent = new http.Agent({ keepAlive: true });
const bareHttp: Call = (i) =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(request(i));
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port: httpPort,
        path: '/v1/assign',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        res.on('error', reject);
      },
    );
    // A kept-alive connection closed by the server as it was reused: once more, as any careful caller does.
    req.on('error', (err: NodeJS.ErrnoException) =>
      req.reusedSocket && err.code === 'ECONNRESET' ? resolve(bareHttp(i)) : reject(err),
    );
    req.end(payload);
  });
const bareFetch: Call = async (i) => {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/assign`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request(i)),
  });
  return res.json();
};

// ---- bare gRPC ----
let here: unknown = grpc.loadPackageDefinition(protoLoader.loadSync(routerProtoPath, protoOptions));
for (const part of ['learnloop', 'router', 'v1', 'Router']) here = (here as Record<string, unknown>)[part];
const Router = here as grpc.ServiceClientConstructor;
const bareGrpcClient = new Router(
  `127.0.0.1:${grpcPort}`,
  grpc.credentials.createInsecure(),
) as unknown as grpc.Client & {
  Assign(r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: Error | null, a?: unknown) => void): void;
};
const metadata = new grpc.Metadata();
const bareGrpc: Call = (i) =>
  new Promise((resolve, reject) =>
    bareGrpcClient.Assign(request(i), metadata, { deadline: Date.now() + 1000 }, (err, answer) =>
      err ? reject(err) : resolve(answer),
    ),
  );

// ---- the client; a generous timeout, so that a slow call is measured rather than turned into a fallback ----
const httpClient = createLearnloopClient({ routerUrl: `http://127.0.0.1:${httpPort}`, timeoutMs: 1000 });
const grpcClient = createLearnloopClient({ grpcAddress: `127.0.0.1:${grpcPort}`, timeoutMs: 1000 });
const viaClient =
  (client: typeof httpClient): Call =>
  (i) =>
    client.assign({ ...request(i), liveVersionId: 'v-live' });

/** One slice: calls with `concurrency` in flight for sliceMs; calls per second. */
async function slice(call: Call, concurrency: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  const end = start + sliceMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) await call(n++);
    }),
  );
  return (n / (performance.now() - start)) * 1000;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The client against its bare twin in pairs of back-to-back slices, the order alternating, so that the load of a
 * shared machine falls on both alike: the median of the pairs' ratios, and each side's median rate.
 */
async function compare(bare: Call, client: Call, concurrency: number) {
  const ratios: number[] = [];
  const bareRates: number[] = [];
  const clientRates: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const [first, second] = p % 2 === 0 ? [bare, client] : [client, bare];
    const a = await slice(first, concurrency);
    const b = await slice(second, concurrency);
    const [bareRate, clientRate] = p % 2 === 0 ? [a, b] : [b, a];
    bareRates.push(bareRate);
    clientRates.push(clientRate);
    ratios.push(bareRate / clientRate);
  }
  return {
    bareCallsPerSecond: Math.round(median(bareRates)),
    clientCallsPerSecond: Math.round(median(clientRates)),
    /** The client's cost on top of the bare call: client time per call / bare time per call - 1. */
    overhead: Number((median(ratios) - 1).toFixed(4)),
  };
}

const httpCall = viaClient(httpClient);
const grpcCall = viaClient(grpcClient);
for (const call of [bareHttp, bareFetch, httpCall, bareGrpc, grpcCall]) await slice(call, 4); // connections, JIT

/** The client's own work per call, without the network: checking the input and reading the answer. */
const answerBody = JSON.stringify({
  agentId: 'agent-1',
  runId: 'run-1',
  versionId: 'v-cand',
  experimentId: 'exp-1',
  arm: 'candidate',
  shadow: null,
});
const ownWork = (() => {
  const input = { ...request(1), liveVersionId: 'v-live' };
  const ops = 200_000;
  const t = process.hrtime.bigint();
  for (let i = 0; i < ops; i++)
    if (assignInputProblem(input) !== null || fromJsonAnswer(input, answerBody).fallback) break;
  const bareT = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) JSON.parse(answerBody);
  const end = process.hrtime.bigint();
  return { clientNsPerCall: Number(bareT - t) / ops, bareJsonParseNsPerCall: Number(end - bareT) / ops };
})();

const report = {
  machine: machine(),
  date: new Date().toISOString(),
  pairs,
  sliceMs,
  http: {
    oneAtATime: await compare(bareHttp, httpCall, 1),
    inFlight16: await compare(bareHttp, httpCall, inFlight),
    bareFetchCallsPerSecondOneAtATime: Math.round(await slice(bareFetch, 1)),
  },
  grpc: {
    oneAtATime: await compare(bareGrpc, grpcCall, 1),
    inFlight16: await compare(bareGrpc, grpcCall, inFlight),
  },
  ownWork,
  fallbacks: { http: httpClient.fallbacks(), grpc: grpcClient.fallbacks() },
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
const worst = Math.max(
  report.http.oneAtATime.overhead,
  report.http.inFlight16.overhead,
  report.grpc.oneAtATime.overhead,
  report.grpc.inFlight16.overhead,
);
process.stdout.write(`client overhead, worst of the four: ${(worst * 100).toFixed(1)}% (target < 10%)\n`);

await httpClient.close();
await grpcClient.close();
bareGrpcClient.close();
agent.destroy();
await worker.terminate();
