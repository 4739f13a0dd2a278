import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../lib/package-root.ts';
import { freshShellEnv, oldNode } from '../helpers/old-node.ts';

/** The package as an agent service gets it: `npm pack`, then the tarball installed into an empty project. */
const work = mkdtempSync(join(tmpdir(), 'learnloop-package-'));
const project = join(work, 'agent-service');
let files: string[] = [];
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  const packed = sh('npm', ['pack', '--json', '--pack-destination', work], packageRoot);
  expect(packed.code, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  files = info?.files.map((f) => f.path) ?? [];
  sh('mkdir', ['-p', project], work);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'agent-service', type: 'module', private: true }),
  );
  const installed = sh('npm', ['install', '--no-audit', '--no-fund', join(work, info?.filename ?? '')], project);
  expect(installed.code, installed.stderr).toBe(0);
}, 180_000);

describe('the package', () => {
  it('ships compiled JavaScript with type declarations, the launcher, the schemas and the licence, and no tests', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'bin/learnloop.js',
        'bin/node-runtime.js',
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/lib/client/index.js',
        'dist/lib/client/index.d.ts',
        'schemas/topics.json',
        'schemas/router.proto',
        'infra/local/pom.xml',
      ]),
    );
    expect(files.filter((f) => /^(test|bench|docs)\//.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('imports from another project', () => {
    const probe = sh(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('learnloop'); console.log(Object.keys(m).sort().join(' '))",
      ],
      project,
    );
    expect(probe.code, probe.stderr).toBe(0);
    expect(probe.stdout.trim().split(' ')).toEqual(
      expect.arrayContaining(['createRunEventsProducer', 'validateRunCompleted', 'validateRunEvaluated']),
    );
  });

  it("gives learnloop/client, whose assign() serves the caller's live version when the router is down", () => {
    const script = [
      "import { createServer } from 'node:net';",
      "import { createLearnloopClient } from 'learnloop/client';",
      // A port nothing listens on: taken, then freed.
      'const server = createServer();',
      "await new Promise((r) => server.listen(0, '127.0.0.1', r));",
      'const { port } = server.address();',
      'await new Promise((r) => server.close(r));',
      'for (const options of [{ routerUrl: `http://127.0.0.1:${port}` }, { grpcAddress: `127.0.0.1:${port}` }]) {',
      '  const client = createLearnloopClient({ ...options, logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } } });',
      "  const a = await client.assign({ agentId: 'agent-1', runId: 'run-1', liveVersionId: 'v-live' });",
      '  console.log(JSON.stringify([a.versionId, a.arm, a.fallback, client.fallbacks().unreachable]));',
      '  await client.close();',
      '}',
    ].join('\n');
    const probe = sh(process.execPath, ['--input-type=module', '-e', script], project);
    expect(probe.code, probe.stderr).toBe(0);
    expect(probe.stdout.trim().split('\n')).toEqual([
      JSON.stringify(['v-live', null, 'unreachable', 1]),
      JSON.stringify(['v-live', null, 'unreachable', 1]),
    ]);
  });

  it('type-checks a TypeScript consumer against its declarations', () => {
    writeFileSync(
      join(project, 'agent.ts'),
      [
        "import { createRunEventsProducer, type RunCompleted } from 'learnloop';",
        "export const status: RunCompleted['status'] = 'succeeded';",
        "export const producer = createRunEventsProducer({ brokers: ['127.0.0.1:9'], registryUrl: 'http://127.0.0.1:9' });",
        "import { createLearnloopClient, type ClientAssignment } from 'learnloop/client';",
        "export const client = createLearnloopClient({ routerUrl: 'http://127.0.0.1:7070', timeoutMs: 50 });",
        "export const arm: ClientAssignment['arm'] = 'candidate';",
        '',
      ].join('\n'),
    );
    const tsc = join(packageRoot, 'node_modules', '.bin', 'tsc');
    const checked = sh(
      tsc,
      ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', 'agent.ts'],
      project,
      { ...process.env, NODE_PATH: join(packageRoot, 'node_modules') },
    );
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
  });

  it('runs `npx learnloop --help`, even where the machine has an older Node', () => {
    const node = oldNode();
    const help = sh('npx', ['learnloop', '--help'], project, freshShellEnv(node));
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('learnloop stack up|down|status|logs');
    expect(help.stderr).not.toMatch(/^\s+at /m);
  });
});
