import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { Migrator, NO_MIGRATIONS, type MigrationResult, type MigrationResultSet } from 'kysely/migration';
import { migrations } from './migrations/index.ts';

export type { MigrationResult } from 'kysely/migration';

/** A migration run that failed; nothing of that run is kept (Postgres DDL is transactional and the run is one transaction). */
export class MigrationError extends Error {
  readonly results: readonly MigrationResult[];
  constructor(message: string, results: readonly MigrationResult[], cause: unknown) {
    super(message, { cause });
    this.name = 'MigrationError';
    this.results = results;
  }
}

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => ({ ...migrations }) } });
}

function outcome(direction: string, set: MigrationResultSet): readonly MigrationResult[] {
  const results = set.results ?? [];
  if (set.error === undefined) return results;
  const failed = results.find((r) => r.status === 'Error')?.migrationName;
  const detail = set.error instanceof Error ? set.error.message : String(set.error);
  throw new MigrationError(
    `migrating ${direction} failed${failed ? ` in ${failed}` : ''}: ${detail} (no migration of this run was applied)`,
    results,
    set.error,
  );
}

/** Applies every pending migration; returns what ran, in order (empty when the database is up to date). */
export async function migrateToLatest(db: Kysely<Database>): Promise<readonly MigrationResult[]> {
  return outcome('up', await migrator(db).migrateToLatest());
}

/** Reverts the last `steps` applied migrations ('all': every one); returns what ran, latest first. */
export async function migrateDown(
  db: Kysely<Database>,
  steps: number | 'all' = 1,
): Promise<readonly MigrationResult[]> {
  if (steps !== 'all' && !(Number.isInteger(steps) && steps > 0)) {
    throw new RangeError(`migrateDown: steps must be a positive whole number or 'all', not ${steps}`);
  }
  const m = migrator(db);
  const applied = (await m.getMigrations()).filter((info) => info.executedAt !== undefined);
  if (applied.length === 0) return [];
  const keep = steps === 'all' ? 0 : Math.max(0, applied.length - steps);
  const target = keep === 0 ? NO_MIGRATIONS : applied[keep - 1]!.name;
  return outcome('down', await m.migrateTo(target));
}
