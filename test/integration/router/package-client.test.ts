import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunCompleted, RunEvaluated } from '../../../lib/contracts/types.generated.ts';
import { createKafka } from '../../../lib/kafka/client.ts';
import { createSerde } from '../../../lib/kafka/serde.ts';
import { createLogger } from '../../../lib/logging.ts';
import { packageRoot } from '../../../lib/package-root.ts';
import type { RunningRouter } from '../../../services/router-sidecar/router.ts';
import { createCatalogTopics, readAll, topicPrefix } from '../../helpers/kafka-topics.ts';
import { experimentState } from '../../helpers/router.ts';
import { testConnection } from '../../setup/connection.ts';
import { assign, publish, startTestRouter, waitFor, waitReady } from './support.ts';

/** learnloop/client as an agent service gets it, the packed tarball installed into an empty project, on the real stack. */

const connection = testConnection();
const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });
const kafka = createKafka({ brokers: connection.KAFKA_BROKERS.split(','), clientId: 'package-client', logger });
const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });
const prefix = topicPrefix('pkgclient');
const work = mkdtempSync(join(tmpdir(), 'learnloop-package-client-'));
const project = join(work, 'agent-service');
let router: RunningRouter;

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  const packed = sh('npm', ['pack', '--json', '--pack-destination', work], packageRoot);
  expect(packed.code, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
  sh('mkdir', ['-p', project], work);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'agent-service', type: 'module', private: true }),
  );
  const installed = sh('npm', ['install', '--no-audit', '--no-fund', join(work, info!.filename)], project);
  expect(installed.code, installed.stderr).toBe(0);

  await createCatalogTopics(kafka, prefix);
  router = await startTestRouter(kafka, serde, prefix, logger);
  const split = { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 };
  await publish(kafka, serde, prefix, { states: [experimentState({ trafficSplit: split })] });
  await waitReady(router);
  await waitFor('the experiment held', async () =>
    (await assign(router.httpPort, 'agent-1', 'probe', 'u')).arm ? true : undefined,
  );
}, 240_000);
afterAll(async () => {
  await router?.stop();
  rmSync(work, { recursive: true, force: true });
});

const agentService = `
import { createLearnloopClient } from 'learnloop/client';
const events = { brokers: process.env.KAFKA_BROKERS.split(','), registryUrl: process.env.SCHEMA_REGISTRY_URL,
  topicPrefix: process.env.PREFIX + '.' };
const out = [];
for (const options of [{ routerUrl: process.env.ROUTER_URL }, { grpcAddress: process.env.GRPC_ADDRESS }]) {
  const client = createLearnloopClient({ ...options, timeoutMs: 5000, events });
  const runId = options.routerUrl ? 'pkg-http' : 'pkg-grpc';
  const a = await client.assign({ agentId: 'agent-1', runId, unitId: 'user-3', liveVersionId: 'v-live' });
  const startedAt = new Date();
  await client.reportRun(a, { startedAt, completedAt: new Date(startedAt.getTime() + 7), costUsd: 0.001 });
  await client.reportEvaluation(a, { evaluatorId: 'judge', score: 0.9, passed: true });
  out.push(a);
  await client.close();
}
console.log(JSON.stringify(out));
`;

describe('learnloop/client from the packed tarball', () => {
  it("assigns over HTTP and gRPC and reports both events with the router's tags", async () => {
    writeFileSync(join(project, 'agent.js'), agentService);
    // Not spawnSync: the router answering it runs in this process.
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['agent.js'],
        {
          cwd: project,
          env: {
            ...process.env,
            KAFKA_BROKERS: connection.KAFKA_BROKERS,
            SCHEMA_REGISTRY_URL: connection.SCHEMA_REGISTRY_URL,
            PREFIX: prefix,
            ROUTER_URL: `http://127.0.0.1:${router.httpPort}`,
            GRPC_ADDRESS: `127.0.0.1:${router.grpcPort}`,
          },
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });
    expect(run.code, run.stderr).toBe(0);
    const answers = JSON.parse(run.stdout) as Array<{ runId: string; arm: string; fallback: string | null }>;
    const bare = await assign(router.httpPort, 'agent-1', 'pkg-bare', 'user-3');
    expect(bare.arm).not.toBeNull();
    for (const a of answers) expect(a).toMatchObject({ arm: bare.arm, versionId: bare.versionId, fallback: null });

    const decoded = async <T>(topic: string) =>
      Promise.all(
        (await readAll(kafka, `${prefix}.${topic}`)).map(async (r) => (await serde.decode(r.value)).value as T),
      );
    const completed = await waitFor('the completed events', async () => {
      const got = await decoded<RunCompleted>('agent.run.completed.v1');
      return got.length >= 2 ? got : undefined;
    });
    expect(completed.map((e) => [e.runId, e.arm, e.experimentId, e.agentVersionId]).sort()).toEqual([
      ['pkg-grpc', bare.arm, 'exp-1', bare.versionId],
      ['pkg-http', bare.arm, 'exp-1', bare.versionId],
    ]);
    const evaluated = await waitFor('the evaluated events', async () => {
      const got = await decoded<RunEvaluated>('agent.run.evaluated.v1');
      return got.length >= 2 ? got : undefined;
    });
    expect(evaluated.map((e) => [e.runId, e.arm, e.score]).sort()).toEqual([
      ['pkg-grpc', bare.arm, 0.9],
      ['pkg-http', bare.arm, 0.9],
    ]);
  });
});
