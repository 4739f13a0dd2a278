import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../lib/package-root.ts';
import { topicPrefix } from '../helpers/kafka-topics.ts';
import { freshShellEnv, oldNode } from '../helpers/old-node.ts';
import { testConnection } from '../setup/connection.ts';
import { useFreshDatabase } from '../setup/database.ts';

/**
 * The README's two commands on a machine as it comes: its Node on PATH is older than learnloop needs (Debian's 20).
 * The checkout is this one's files (committed or not), copied without node_modules, so that `npm ci` starts from nothing.
 */
const node = oldNode();
const checkout = mkdtempSync(join(tmpdir(), 'learnloop-checkout-'));
afterAll(() => rmSync(checkout, { recursive: true, force: true }));
const database = useFreshDatabase({ migrate: false });
const { source: _source, ...shared } = testConnection();

function copyCheckout(): void {
  const listed = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: packageRoot,
    encoding: 'utf8',
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    mkdirSync(dirname(join(checkout, file)), { recursive: true });
    cpSync(join(packageRoot, file), join(checkout, file), { errorOnExist: false });
  }
}

function output(child: ChildProcess): { text: () => string } {
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return { text: () => text };
}

async function readyWithin(port: number, ms: number, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && child.exitCode === null) {
    const status = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** The pids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/status`, 'utf8').includes('State:\tZ');
  } catch {
    return false;
  }
}

describe(`a fresh checkout on a machine whose Node is older than learnloop needs`, () => {
  // Both tests share one database and topic prefix: `npm start` prepares them, `run all` then needs them as they are.
  const prefix = topicPrefix('fresh');
  const env = () =>
    freshShellEnv(node, {
      ...shared,
      DATABASE_URL: database().url,
      LEARNLOOP_TOPIC_PREFIX: prefix,
      LEARNLOOP_ROUTER_HTTP_PORT: '0',
      LEARNLOOP_ROUTER_GRPC_PORT: '0',
      LEARNLOOP_CONTROL_PLANE_PORT: '0',
    });

  it('npm ci, then npm start reaches ready, and Ctrl-C stops it cleanly', { timeout: 300_000 }, async () => {
    copyCheckout();
    const install = spawn('npm', ['ci', '--no-audit', '--no-fund'], { cwd: checkout, env: env() });
    const installed = output(install);
    const [installCode] = await once(install, 'exit');
    expect(installCode, installed.text()).toBe(0);

    const port = 21464 + Math.floor(Math.random() * 500);
    // Its own process group, as a terminal gives it: Ctrl-C signals the whole group.
    const start = spawn('npm', ['start'], {
      cwd: checkout,
      env: { ...env(), LEARNLOOP_METRICS_PORT: String(port) },
      detached: true,
    });
    const started = output(start);
    try {
      expect(await readyWithin(port, 120_000, start), started.text()).toBe(true);
    } finally {
      if (start.pid !== undefined && start.exitCode === null) process.kill(-start.pid, 'SIGINT');
    }
    // npm and its shell die of the Ctrl-C; the output closes when the last process of the tree, the services, has ended.
    await once(start, 'close');
    expect(started.text()).not.toMatch(/^\s+at /m);
    expect(started.text()).toContain('"msg":"shutting down"');
    expect(started.text()).not.toMatch(/second signal|shutdown hook failed|shutdown timed out/);
  });

  it('a launcher killed with SIGKILL takes the services it started down with it', { timeout: 180_000 }, async () => {
    const port = 22464 + Math.floor(Math.random() * 500);
    const launcher = spawn(node, [join(checkout, 'bin', 'learnloop.js'), 'run', 'all'], {
      cwd: checkout,
      env: { ...env(), LEARNLOOP_METRICS_PORT: String(port) },
    });
    const out = output(launcher);
    expect(await readyWithin(port, 120_000, launcher), out.text()).toBe(true);
    const services = childrenOf(launcher.pid ?? 0);
    expect(services).toHaveLength(1);
    launcher.kill('SIGKILL');
    const deadline = Date.now() + 60_000;
    while (services.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(services.filter(alive)).toEqual([]);
  });
});
