import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runCli, startCli } from '../../helpers/cli.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated } from '../../helpers/isolated.ts';

const { kafka } = testClients('demo-test');
const cleanup = useCleanups();

/** The bound the demo must meet on this 2-core machine: the five minutes for the automatic promotion. */
const promotedWithinMs = 5 * 60_000;

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('learnloop demo on the real stack', () => {
  it(
    'degrades, proposes, tests and promotes automatically; requests approval, and promotes after a CLI approval',
    async () => {
      const port = 21000 + Math.floor(Math.random() * 4000);
      const { env } = await isolated(kafka, 'demo', cleanup, {
        LEARNLOOP_METRICS_PORT: String(port),
        LEARNLOOP_ROUTER_HTTP_PORT: String(port + 1),
        LEARNLOOP_ROUTER_GRPC_PORT: String(port + 2),
        LEARNLOOP_CONTROL_PLANE_PORT: String(port + 3),
        LEARNLOOP_API_URL: `http://127.0.0.1:${port + 3}`,
        LEARNLOOP_ROUTER_URL: `http://127.0.0.1:${port + 1}`,
      });
      const all = { ...process.env, ...env };
      const stack = startCli(['start'], all);
      let stackErr = '';
      stack.stderr.on('data', (d: Buffer) => (stackErr = (stackErr + d.toString()).slice(-4000)));
      cleanup(async () => {
        if (stack.exitCode === null) {
          stack.kill('SIGTERM');
          await once(stack, 'exit');
        }
      });
      await until(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status === 200 ? true : undefined,
        90_000,
        `learnloop start to be ready (${stackErr})`,
      );

      const started = Date.now();
      const demo = startCli(['demo', '--until', 'approved', '--timeout', '10m', '--seed', '17'], all);
      let output = '';
      demo.stdout.on('data', (d: Buffer) => (output += d.toString()));
      demo.stderr.on('data', (d: Buffer) => (output += d.toString()));
      cleanup(async () => {
        if (demo.exitCode === null) {
          demo.kill('SIGINT');
          await once(demo, 'exit');
        }
      });

      await until(
        () => (/demo-support-\w+: PROMOTED .*\(auto\)/.test(output) ? true : undefined),
        promotedWithinMs,
        `the automatic promotion\n${output}`,
      );
      const promotedAfterMs = Date.now() - started;

      const approvalId = await until(
        () => /learnloop approve (\S+) --reason/.exec(output)?.[1],
        6 * 60_000,
        `the approval request\n${output}`,
      );
      expect(output).toContain(`http://127.0.0.1:${port + 3}/approvals/${approvalId}`);
      const approver = await runCli(['tokens', 'create', '--role', 'approver', '--name', 'demo-approver'], all);
      expect(approver.code, approver.stderr).toBe(0);
      const approved = await runCli(['approve', approvalId, '--reason', 'the demo test approves'], {
        ...all,
        LEARNLOOP_API_TOKEN: approver.stdout.trim(),
      });
      expect(approved.code, approved.stderr + approved.stdout).toBe(0);

      const [code] = (await once(demo, 'exit')) as [number | null];
      expect(code, output).toBe(0);
      expect(output).toMatch(/demo-billing-\w+: PROMOTED .*\(manual, approved by demo-approver\)/);
      expect(output).toMatch(/demo-billing-\w+: approval \S+: approved by demo-approver \(cli\)/);

      // The judge counted the runs the simulator published for each arm, through the public client: its counts stop at
      // the terminal decision, so the runs the router assigned before it learnt of it and that landed after are the
      // only difference, a second's worth at most (20 runs per arm at the demo's 40 runs per second).
      const published = [...output.matchAll(/experiment (\S+): baseline (\d+), candidate (\d+), shadow (\d+)/g)].map(
        (m) => ({ id: m[1]!, counts: { baseline: Number(m[2]), candidate: Number(m[3]), shadow: Number(m[4]) } }),
      );
      expect(published.length).toBeGreaterThanOrEqual(2);
      const agentIds = [...new Set([...output.matchAll(/registered (demo-\w+-\w+)/g)].map((m) => m[1]!))];
      const views: Array<{ id: string; armCounts: Record<'baseline' | 'candidate' | 'shadow', number> }> = [];
      for (const agentId of agentIds) {
        const response = await fetch(`${env['LEARNLOOP_API_URL']}/api/agents/${agentId}/learning/experiments`, {
          headers: { authorization: `Bearer ${approver.stdout.trim()}` },
        });
        views.push(...((await response.json()) as typeof views));
      }
      for (const { id, counts } of published) {
        const counted = views.find((v) => v.id === id)?.armCounts;
        expect(counted, id).toBeDefined();
        for (const arm of ['baseline', 'candidate', 'shadow'] as const) {
          expect(counted![arm], `${id} ${arm}`).toBeLessThanOrEqual(counts[arm]);
          expect(counts[arm] - counted![arm], `${id} ${arm}`).toBeLessThanOrEqual(20);
        }
        expect(counted!.baseline + counted!.candidate + counted!.shadow, id).toBeGreaterThan(200);
      }
      expect(promotedAfterMs).toBeLessThan(promotedWithinMs);
      console.log(`demo: automatic promotion after ${(promotedAfterMs / 1000).toFixed(0)} s\n${output}`);
    },
    16 * 60_000,
  );
});
