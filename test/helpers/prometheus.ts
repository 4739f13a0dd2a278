import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../lib/package-root.ts';

export const prometheusDir = join(packageRoot, 'infra', 'prometheus');

/** Runs a Prometheus tool (Debian's `prometheus` package, which .ci/run installs) and returns its output. */
export function promtool(args: readonly string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8', cwd: prometheusDir });
  if (run.error) throw new Error(`promtool: ${run.error.message} (install Debian's prometheus package)`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

export interface RunningPrometheus {
  url: string;
  query(
    expr: string,
  ): Promise<{ status: string; error?: string; data?: { result: Array<{ value: [number, string] }> } }>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus with the project's own configuration and rules, changed only where a test must: the target's port
 * (the test's `learnloop start`) and a one-second scrape interval.
 */
export async function startPrometheus(metricsPort: number): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'learnloop-prometheus-'));
  const config = readFileSync(join(prometheusDir, 'prometheus.yml'), 'utf8');
  const changed = config
    .replace('127.0.0.1:9464', `127.0.0.1:${metricsPort}`)
    .replace(/scrape_interval: \S+/, 'scrape_interval: 1s')
    .replace(/evaluation_interval: \S+/, 'evaluation_interval: 1s');
  if (!changed.includes(`127.0.0.1:${metricsPort}`)) throw new Error('prometheus.yml no longer targets 127.0.0.1:9464');
  writeFileSync(join(dir, 'prometheus.yml'), changed);
  copyFileSync(join(prometheusDir, 'alerts.yml'), join(dir, 'alerts.yml'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`Prometheus did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    query: async (expr) => {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (await res.json()) as Awaited<ReturnType<RunningPrometheus['query']>>;
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
