import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

export interface DbOptions {
  url: string;
  /** Pool size: each service needs few connections, and the schema registry and tests share the server. */
  max?: number;
}

/** A kysely handle over a pg pool; `DB` is the table map (from the migrations' types). */
export function createDb<DB>(options: DbOptions): Kysely<DB> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.max ?? 10 });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
