import { auditReplayCommand } from './audit-replay.ts';
import { verifyAuditChain } from '../lib/audit/verify.ts';
import { openDb } from './open-db.ts';
import { migrateDown, migrateToLatest, MigrationError } from '../lib/db/migrate.ts';

export const dbHelp = `learnloop db migrate [--down [N|all]]: the Postgres schema at DATABASE_URL

  migrate              apply every pending migration, printing each one
  migrate --down [N]   revert the last N applied migrations (default 1; "all" reverts every one)

Exit codes: 0 done, 1 failed (nothing of a failed run is applied), 2 usage.`;

export const auditHelp = `learnloop audit verify | replay <id> [--json]   (the audit log at DATABASE_URL)

  verify        recompute the hash chain: prints "audit chain intact: N rows", or names the first broken row and exits 1
  replay <id>   recompute the decision an audit entry records from the inputs it holds, and say whether it matches
Exit codes: 0 intact / matches, 1 broken, different or failed, 2 usage.`;

/** An unreachable server or a failed statement is an operator's problem to read, not a stack trace. */
function explain(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(explain).join('; ');
  return err instanceof Error ? err.message || err.name : String(err);
}

function failed(message: string): number {
  process.stderr.write(`learnloop: ${message}\n`);
  return 1;
}

function usage(message: string): number {
  process.stderr.write(`learnloop: ${message}\n`);
  return 2;
}

/** `--down`, `--down N`, `--down all`; undefined steps = migrate up. */
export function parseMigrateArgs(
  args: readonly string[],
): { ok: true; down?: number | 'all' } | { ok: false; error: string } {
  if (args.length === 0) return { ok: true };
  const [flag, value, ...extra] = args;
  if (flag !== '--down' || extra.length > 0) return { ok: false, error: `unexpected arguments: ${args.join(' ')}` };
  if (value === undefined) return { ok: true, down: 1 };
  if (value === 'all') return { ok: true, down: 'all' };
  if (/^[1-9]\d*$/.test(value)) return { ok: true, down: Number(value) };
  return { ok: false, error: `--down takes a positive whole number or "all", not "${value}"` };
}

export async function dbCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${dbHelp}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'migrate') return usage(`unknown db command "${command}"; see learnloop db --help`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${dbHelp}\n`);
    return 0;
  }
  const parsed = parseMigrateArgs(rest);
  if (!parsed.ok) return usage(parsed.error);
  const db = openDb(env);
  if (!db) return 1;
  try {
    const results = parsed.down === undefined ? await migrateToLatest(db) : await migrateDown(db, parsed.down);
    for (const result of results)
      process.stdout.write(`${result.direction === 'Up' ? 'applied ' : 'reverted'} ${result.migrationName}\n`);
    if (results.length === 0)
      process.stdout.write(parsed.down === undefined ? 'database is up to date\n' : 'no migration to revert\n');
    return 0;
  } catch (err) {
    return failed(err instanceof MigrationError ? err.message : `migrating failed: ${explain(err)}`);
  } finally {
    await db.destroy();
  }
}

export async function auditCommand(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${auditHelp}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command === 'replay') return auditReplayCommand(rest, env);
  if (command !== 'verify') return usage(`unknown audit command "${command}"; see learnloop audit --help`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${auditHelp}\n`);
    return 0;
  }
  if (rest.length > 0) return usage(`unexpected arguments: ${rest.join(' ')}`);
  const db = openDb(env);
  if (!db) return 1;
  try {
    const result = await verifyAuditChain(db);
    if (result.ok) {
      process.stdout.write(`audit chain intact: ${result.rows} rows\n`);
      return 0;
    }
    process.stdout.write(
      `audit chain broken at row ${result.firstBrokenId}: ${result.reason} (expected ${result.expected}, found ${result.actual})\n`,
    );
    return 1;
  } catch (err) {
    return failed(`verifying the audit chain failed: ${explain(err)}`);
  } finally {
    await db.destroy();
  }
}
