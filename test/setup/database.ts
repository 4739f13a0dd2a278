import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import { createDb } from '../../lib/db/index.ts';
import { migrateToLatest } from '../../lib/db/migrate.ts';
import type { Database } from '../../lib/db/schema.ts';
import { testConnection } from './connection.ts';

export interface FreshDatabase {
  /** The new database's URL: same server and credentials as DATABASE_URL. */
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

/**
 * A new, uniquely named, migrated database on the integration tests' Postgres, so that each test file has a schema of
 * its own. Call `drop()` in afterAll.
 */
export async function freshDatabase(options: { migrate?: boolean } = {}): Promise<FreshDatabase> {
  const serverUrl = testConnection().DATABASE_URL;
  const name = `test_${randomBytes(6).toString('hex')}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = createDb({ url: url.toString() });
  const drop = async () => {
    await db.destroy();
    await onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  try {
    if (options.migrate ?? true) await migrateToLatest(db);
  } catch (err) {
    await drop();
    throw err;
  }
  return { url: url.toString(), db, drop };
}

/** A fresh database for the calling test file: created before its tests, dropped after; call the getter inside tests. */
export function useFreshDatabase(options: { migrate?: boolean } = {}): () => FreshDatabase {
  let fresh: FreshDatabase | undefined;
  beforeAll(async () => {
    fresh = await freshDatabase(options);
  });
  afterAll(async () => {
    await fresh?.drop();
  });
  return () => {
    if (!fresh) throw new Error('useFreshDatabase: the database exists only inside tests and hooks');
    return fresh;
  };
}
