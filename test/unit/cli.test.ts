import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const bare = { PATH: process.env['PATH'] };

describe('the learnloop CLI, without a stack', () => {
  it('help lists the commands and exits 0; no command exits 2', async () => {
    const help = await runCli(['help'], bare);
    expect(help.code).toBe(0);
    for (const command of ['stack up|down|status|logs', 'run <service>|all', 'start'])
      expect(help.stdout).toContain(command);
    expect((await runCli([], bare)).code).toBe(2);
  });

  it('an unknown command exits 2 and says so', async () => {
    const result = await runCli(['frobnicate'], bare);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown command "frobnicate"');
  });

  it('run names an unknown service and lists the known ones', async () => {
    const result = await runCli(['run', 'no-such-service'], bare);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no service "no-such-service"');
  });

  it('run all without the connection variables names all three at once', async () => {
    const result = await runCli(['run', 'all'], bare);
    expect(result.code).toBe(1);
    for (const name of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL'])
      expect(result.stderr).toContain(`${name}: missing`);
  });

  it('stack with an unknown subcommand exits 1 naming the valid ones', async () => {
    const result = await runCli(['stack', 'sideways'], bare);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('use up, down, status or logs');
  });
});
