import { afterAll, beforeAll } from 'vitest';
import { createFreshDatabase, type FreshDatabase } from '../helpers/fresh-database.ts';
import { testConnection } from './connection.ts';

export type { FreshDatabase };

/**
 * A new, uniquely named, migrated database on the integration tests' Postgres, so that each test file has a schema of
 * its own. Call `drop()` in afterAll.
 */
export function freshDatabase(options: { migrate?: boolean } = {}): Promise<FreshDatabase> {
  return createFreshDatabase(testConnection().DATABASE_URL, options);
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
