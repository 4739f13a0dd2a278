import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { testClients } from '../../helpers/clients.ts';
import { useCleanups } from '../../helpers/cleanups.ts';
import { isolated } from '../../helpers/isolated.ts';
import { readAll } from '../../helpers/kafka-topics.ts';

const { kafka, serde } = testClients('simulate-test');
const cleanup = useCleanups();

describe('learnloop simulate', () => {
  it('publishes every run and its evaluation through the client, stops by itself, and serves the live version without a router', async () => {
    const { prefix, env } = await isolated(kafka, 'simulate', cleanup, {
      // No router listens here: every assignment falls back to the live version, and the runs are still reported.
      LEARNLOOP_ROUTER_URL: 'http://127.0.0.1:9',
    });
    const started = Date.now();
    const result = await runCli(
      ['simulate', '--agents', '3', '--rate', '40', '--duration', '8s', '--seed', '3', '--degrade', '1'],
      { ...process.env, ...env },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(60_000);
    const runs = Number(/runs published: (\d+)/.exec(result.stdout)?.[1]);
    expect(runs).toBeGreaterThanOrEqual(250);
    expect(result.stdout).toContain(`fallbacks ${runs}`);
    expect(result.stderr).toMatch(/simulate: \d+s: \d+ runs published/);

    const completed = await readAll(kafka, `${prefix}.agent.run.completed.v1`);
    const evaluated = await readAll(kafka, `${prefix}.agent.run.evaluated.v1`);
    expect(completed.length).toBe(runs);
    expect(evaluated.length).toBe(runs);
    const agents = new Set<string>();
    for (const record of completed) {
      const event = (await serde.decode(record.value)).value as { agentId: string; agentVersionId: string };
      agents.add(event.agentId);
      expect(event.agentVersionId).toBe('sim-v1');
    }
    expect([...agents].sort()).toEqual(['sim-agent-0', 'sim-agent-1', 'sim-agent-2']);
  }, 90_000);

  it('refuses a bad option, naming it', async () => {
    const result = await runCli(['simulate', '--degrade', '7', '--agents', '2'], process.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--degrade: "7" is not an agent index below 2/);
  });
});
