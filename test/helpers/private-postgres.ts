import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresComponent } from '../../lib/stack/postgres.ts';
import { isAlive, stopProcess } from '../../lib/stack/process.ts';
import { parseStackSettings } from '../../lib/stack/settings.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A Postgres server of the test's own (the local stack's machinery on a fresh directory and port), for tests that
 * stop and restart the database mid-stream without disturbing the server the other tests share.
 */
export async function privatePostgres() {
  const home = mkdtempSync(join(tmpdir(), 'learnloop-pg-'));
  chmodSync(home, 0o755);
  for (const dir of ['run', 'logs']) mkdirSync(join(home, dir));
  const parsed = parseStackSettings({ LEARNLOOP_HOME: home, LEARNLOOP_POSTGRES_PORT: String(await freePort()) });
  if (!parsed.ok) throw parsed.error;
  const component = postgresComponent(parsed.value);
  let pid = 0;

  const start = async () => {
    pid = await component.start();
    while (!(await component.healthy())) {
      if (!isAlive(pid)) throw new Error(`private Postgres exited; see ${component.logFile}`);
      await sleep(100);
    }
    await component.afterHealthy?.();
  };
  await start();
  return {
    url: component.env['DATABASE_URL']!,
    /** Fast shutdown: open connections are cut, as in a crash or a failover. */
    stop: async () => {
      await stopProcess(pid, 'SIGINT', 30_000);
    },
    start,
    destroy: async () => {
      if (isAlive(pid)) await stopProcess(pid, 'SIGINT', 30_000);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
