import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import pg from 'pg';
import { connectionSchema, parseConfig } from '../lib/config.ts';
import { createDb } from '../lib/db/index.ts';
import { migrateToLatest } from '../lib/db/migrate.ts';
import { parseStackSettings } from '../lib/stack/settings.ts';
import { stackUp } from '../lib/stack/stack.ts';

export interface BenchConnection {
  KAFKA_BROKERS: string;
  SCHEMA_REGISTRY_URL: string;
  DATABASE_URL: string;
}

/** The connection variables if set, else the local stack (started if needed), as the tests do. */
export async function benchConnection(): Promise<BenchConnection> {
  const fromEnv = parseConfig(connectionSchema, process.env);
  if (fromEnv.ok) return { ...fromEnv.value, KAFKA_BROKERS: fromEnv.value.KAFKA_BROKERS.join(',') };
  const settings = parseStackSettings(process.env);
  if (!settings.ok) throw settings.error;
  return (await stackUp(settings.value, (line) =>
    process.stderr.write(`stack: ${line}\n`),
  )) as unknown as BenchConnection;
}

/** A new migrated database on the same server, dropped by the returned function. */
export async function benchDatabase(serverUrl: string) {
  const name = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = createDb({ url: url.toString() });
  await migrateToLatest(db);
  return {
    url: url.toString(),
    db,
    drop: async () => {
      await db.destroy();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function machine(): string {
  return `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
}
