import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { createDb } from '../../lib/db/index.ts';
import { migrateToLatest } from '../../lib/db/migrate.ts';
import type { Database } from '../../lib/db/schema.ts';

export interface FreshDatabase {
  /** The new database's URL: same server and credentials as the server URL it was made on. */
  url: string;
  /** A handle on it, migrated to the latest schema (pool of 10). */
  db: Kysely<Database>;
  /** Closes `db` and drops the database. */
  drop(): Promise<void>;
}

/** Runs one statement on the server's maintenance connection (CREATE/DROP DATABASE cannot run in a transaction). */
async function onServer(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Drops the test database `url` names (made by createFreshDatabase on `serverUrl`), whoever is still connected. */
export async function dropDatabase(serverUrl: string, url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  if (!/^test_[0-9a-f]{12}$/.test(name)) throw new Error(`refusing to drop ${name}: not a test database`);
  await onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/**
 * A new, uniquely named, migrated database on the server `serverUrl` names, so that a test has a schema of its own.
 * Works outside vitest too (test/fixtures/client-world.ts).
 */
export async function createFreshDatabase(
  serverUrl: string,
  options: { migrate?: boolean } = {},
): Promise<FreshDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = createDb({ url: url.toString() });
  const drop = async () => {
    await db.destroy();
    await dropDatabase(serverUrl, url.toString());
  };
  try {
    if (options.migrate ?? true) await migrateToLatest(db);
  } catch (err) {
    await drop();
    throw err;
  }
  return { url: url.toString(), db, drop };
}
