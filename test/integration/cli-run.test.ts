import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.ts';
import { topicPrefix } from '../helpers/kafka-topics.ts';
import { testConnection } from '../setup/connection.ts';
import { useFreshDatabase } from '../setup/database.ts';

const { source: _source, ...shared } = testConnection();
const database = useFreshDatabase({ migrate: false });
/** The shared cluster, but this file's own database and topics. */
// Port 0 for the router's and the control plane's servers: the fixed defaults would collide with other test files running at the same time.
const connection = () => ({
  ...shared,
  DATABASE_URL: database().url,
  LEARNLOOP_TOPIC_PREFIX: topicPrefix('cli'),
  LEARNLOOP_ROUTER_HTTP_PORT: '0',
  LEARNLOOP_ROUTER_GRPC_PORT: '0',
  LEARNLOOP_CONTROL_PLANE_PORT: '0',
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('learnloop start with KAFKA_BROKERS set', () => {
  it('prepares the database, topics and schemas, serves metrics and health once the services are ready, and exits 0 on SIGTERM', async () => {
    const port = 19464 + Math.floor(Math.random() * 500);
    const child = startCli(['start'], { ...process.env, ...connection(), LEARNLOOP_METRICS_PORT: String(port) });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      const ready = await waitFor(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        return res.status === 200 ? res : undefined;
      }, 45_000);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        checks: { started: true, 'signal-aggregator:partitions-assigned': true },
      });
      expect(stdout).toMatch(/"msg":"control plane API listening"/);
      // Not configured: left out, with one line naming what is missing.
      expect(stdout).toMatch(/"msg":"slack-bridge not started: LEARNLOOP_SLACK_BOT_TOKEN, /);
      expect(stderr).toMatch(/start: database: applied 0001_core/);
      expect(stderr).toMatch(/start: topics: \d+ in the catalog/);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('process_resident_memory_bytes');
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; level: string });
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['serving metrics and health', 'service started', 'shutting down']),
    );
  });

  it('refuses a metrics port that is already taken, with the reason', async () => {
    const port = 20464 + Math.floor(Math.random() * 500);
    const env = { ...process.env, ...connection(), LEARNLOOP_METRICS_PORT: String(port) };
    const first = startCli(['start'], env);
    try {
      await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined), 45_000);
      const second = startCli(['run', 'all'], env);
      let stderr = '';
      second.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const [code] = (await once(second, 'exit')) as [number | null];
      expect(code).toBe(1);
      expect(stderr).toContain(
        `LEARNLOOP_METRICS_PORT=${port}: 127.0.0.1:${port} is already in use by another program`,
      );
      expect(stderr).not.toContain('    at ');
    } finally {
      first.kill('SIGTERM');
      await once(first, 'exit');
    }
  });
});
