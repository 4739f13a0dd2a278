import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../../lib/stack/process.ts';
import { packageRoot } from '../../../lib/package-root.ts';
import { runCli } from '../../helpers/cli.ts';

/**
 * A second stack, on its own home and ports, driven through the CLI as a user would: the shared stack the other
 * integration tests use is never touched. Shares the fetched jars with the project's stack.
 */
const home = mkdtempSync(join(tmpdir(), 'learnloop-lifecycle-'));
// As root, Postgres runs as another user, who must be able to reach its directory.
chmodSync(home, 0o755);
const sharedDist = join(packageRoot, '.learnloop', 'dist');
mkdirSync(sharedDist, { recursive: true });
symlinkSync(sharedDist, join(home, 'dist'));

const ports = { kafka: 39092, controller: 39093, registry: 38081, postgres: 35432 };
const env = {
  ...process.env,
  LEARNLOOP_HOME: home,
  LEARNLOOP_KAFKA_PORT: String(ports.kafka),
  LEARNLOOP_KAFKA_CONTROLLER_PORT: String(ports.controller),
  LEARNLOOP_REGISTRY_PORT: String(ports.registry),
  LEARNLOOP_POSTGRES_PORT: String(ports.postgres),
};
const learnloop = (...args: string[]) => runCli(args, env);

const pidOf = (part: string) => Number(readFileSync(join(home, 'run', `${part}.pid`), 'utf8'));
const parts = ['postgres', 'kafka', 'registry'] as const;

afterAll(async () => {
  await learnloop('stack', 'down');
}, 120_000);

describe('learnloop stack, as a user drives it', () => {
  it('up starts all three parts and prints connection variables a shell can eval', async () => {
    const up = await learnloop('stack', 'up');
    expect(up.stderr).toMatch(/kafka: healthy/);
    expect(up.code).toBe(0);
    expect(up.stdout.trim().split('\n').sort()).toEqual([
      `export DATABASE_URL=postgres://learnloop@127.0.0.1:${ports.postgres}/learnloop`,
      `export KAFKA_BROKERS=127.0.0.1:${ports.kafka}`,
      `export SCHEMA_REGISTRY_URL=http://127.0.0.1:${ports.registry}/apis/ccompat/v7`,
    ]);
    for (const part of parts) expect(isAlive(pidOf(part)), part).toBe(true);
  }, 180_000);

  it('up again changes nothing and status reports all running', async () => {
    const before = parts.map(pidOf);
    const again = await learnloop('stack', 'up');
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/started/);
    expect(parts.map(pidOf)).toEqual(before);
    const status = await learnloop('stack', 'status');
    expect(status.code).toBe(0);
    for (const part of parts) expect(status.stdout).toMatch(new RegExp(`^${part}\\s+running\\s+${pidOf(part)}`, 'm'));
  });

  it('a Kafka killed by hand shows in status, and up restores it', async () => {
    const killed = pidOf('kafka');
    process.kill(killed, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const status = await learnloop('stack', 'status');
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(new RegExp(`^kafka\\s+crashed\\s+${killed}.*is gone`, 'm'));
    expect(status.stdout).toMatch(/^postgres\s+running/m);

    const up = await learnloop('stack', 'up');
    expect(up.code).toBe(0);
    expect(up.stderr).toContain(`process ${killed} is gone`);
    expect(pidOf('kafka')).not.toBe(killed);
    expect((await learnloop('stack', 'status')).code).toBe(0);
  }, 120_000);

  it("logs prints the end of a part's log", async () => {
    const logs = await learnloop('stack', 'logs', 'kafka', '-n', '5');
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n').length).toBeLessThanOrEqual(5);
    expect((await learnloop('stack', 'logs', 'zookeeper')).stderr).toContain('no such part: zookeeper');
  });

  it('down stops exactly the processes it started', async () => {
    const pids = parts.map(pidOf);
    const down = await learnloop('stack', 'down');
    expect(down.code).toBe(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    for (const part of parts) expect(existsSync(join(home, 'run', `${part}.pid`))).toBe(false);
    const status = await learnloop('stack', 'status');
    expect(status.code).toBe(3);
    expect(status.stdout.match(/stopped/g)).toHaveLength(3);
  }, 120_000);

  it("a pid file naming somebody else's process is reported and never signalled", async () => {
    writeFileSync(join(home, 'run', 'registry.pid'), `${process.pid}\n`);
    const status = await learnloop('stack', 'status');
    expect(status.stdout).toMatch(/^registry\s+crashed.*belongs to another program/m);
    expect((await learnloop('stack', 'down')).code).toBe(0);
    expect(isAlive(process.pid)).toBe(true);
    expect(existsSync(join(home, 'run', 'registry.pid'))).toBe(false);
  });

  it('a port taken by another program stops up with one line naming the variable, starting nothing', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(ports.kafka, '127.0.0.1', resolve));
    try {
      const up = await learnloop('stack', 'up');
      expect(up.code).toBe(1);
      expect(up.stderr.trim()).toBe(
        `learnloop: port ${ports.kafka} (kafka) is already in use by another program: stop it, or set LEARNLOOP_KAFKA_PORT to a free port`,
      );
      for (const part of parts) expect(existsSync(join(home, 'run', `${part}.pid`))).toBe(false);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('a bad setting stops up with a message naming it', async () => {
    const child = await runCli(['stack', 'up'], { ...env, LEARNLOOP_KAFKA_PORT: 'ninety' });
    expect(child.code).toBe(1);
    expect(child.stderr).toContain('LEARNLOOP_KAFKA_PORT="ninety"');
  });
});
