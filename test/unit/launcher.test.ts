import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recentEnough } from '../../bin/node-runtime.js';
import { packageRoot } from '../../lib/package-root.ts';
import { freshShellEnv, oldNode } from '../helpers/old-node.ts';

const launcher = join(packageRoot, 'bin', 'learnloop.js');
const withNode = join(packageRoot, 'bin', 'with-node.js');
const emptyPrefix = mkdtempSync(join(tmpdir(), 'learnloop-node-prefix-'));
afterAll(() => rmSync(emptyPrefix, { recursive: true, force: true }));

function run(node: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(node, args, { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const stackTraceLine = /^\s+at /m;

describe('the Node learnloop needs', () => {
  it.each([
    ['20.20.2', false],
    ['22.17.1', false],
    ['22.18.0', true],
    ['22.22.0', true],
    ['23.0.0', true],
    ['24.21.0', true],
    ['18.20.8', false],
  ])('%s is recent enough: %s', (version, expected) => {
    expect(recentEnough(version)).toBe(expected);
  });
});

describe('the launcher on a machine whose Node is older than learnloop needs', () => {
  const node = oldNode();

  it('brings the Node learnloop needs and runs the command under it', { timeout: 180_000 }, async () => {
    const result = await run(node, [launcher, 'help'], freshShellEnv(node));
    expect(result.stderr).not.toMatch(stackTraceLine);
    expect(result.stdout).toContain('Usage:');
    expect(result.code).toBe(0);
  });

  it('runs a development command with that Node first on PATH', { timeout: 180_000 }, async () => {
    const result = await run(node, [withNode, 'node', '-p', 'process.versions.node'], freshShellEnv(node));
    expect(result.code).toBe(0);
    expect(recentEnough(result.stdout.trim())).toBe(true);
  });

  it('says what failed and what to do, with no stack trace, when the registry cannot be reached', async () => {
    const env = freshShellEnv(node, {
      LEARNLOOP_NODE_PREFIX: emptyPrefix,
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_fetch_retries: '0',
    });
    const result = await run(node, [launcher, 'help'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Installing Node 24 from the npm registry into ${emptyPrefix}`);
    expect(result.stderr).toContain('installing Node 24 with npm failed');
    expect(result.stderr).toContain('Install Node 22.18 or newer (24 recommended), or set LEARNLOOP_NODE to one.');
    expect(result.stderr).not.toMatch(stackTraceLine);
    expect(result.stdout).toBe('');
  });

  it('names a LEARNLOOP_NODE that is not a Node it can use', async () => {
    const oldVersion = spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    for (const [given, says] of [
      ['/bin/true', 'is not a Node binary that runs'],
      [node, `is Node ${oldVersion}; learnloop needs 22.18 or newer`],
    ]) {
      const result = await run(node, [launcher, 'help'], freshShellEnv(node, { LEARNLOOP_NODE: given }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`LEARNLOOP_NODE=${given} ${says}`);
      expect(result.stderr).not.toMatch(stackTraceLine);
    }
  });
});
