import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dbCommand } from '../../../cli/db.ts';
import { migrateDown, migrateToLatest } from '../../../lib/db/migrate.ts';
import { migrations } from '../../../lib/db/migrations/index.ts';
import { freshDatabase, type FreshDatabase } from '../../setup/database.ts';

const tables = [
  'agent_versions',
  'agents',
  'aggregator_counted',
  'aggregator_windows',
  'api_tokens',
  'approvals',
  'audit_chain_head',
  'audit_log',
  'consumer_offsets',
  'cp_agent_windows',
  'cp_experiments',
  'cp_verdicts',
  'daily_rollups',
  'dead_letter_payloads',
  'experiments',
  'judge_experiments',
  'judge_runs',
  'judge_units',
  'outbox',
  'outbox_parked',
  'outbox_positions',
  'policies',
  'processed_events',
  'proposals',
  'runs',
  'sessions',
  'slack_approvers',
  'slack_decisions',
  'slack_messages',
];

describe('migrations', () => {
  let fresh: FreshDatabase;
  beforeAll(async () => {
    fresh = await freshDatabase({ migrate: false });
  });
  afterAll(() => fresh.drop());

  const learnloopTables = async () => {
    const { rows } = await sql<{ name: string }>`
      SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_name NOT LIKE 'kysely_%' ORDER BY table_name`.execute(fresh.db);
    return rows.map((r) => r.name);
  };
  const functions = async () => {
    const { rows } = await sql<{ name: string }>`
      SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`.execute(
      fresh.db,
    );
    return rows.map((r) => r.name);
  };

  it('migrate up to latest on an empty database, then report nothing left to do', async () => {
    const applied = await migrateToLatest(fresh.db);
    expect(applied.map((r) => [r.migrationName, r.direction, r.status])).toEqual(
      Object.keys(migrations).map((name) => [name, 'Up', 'Success']),
    );
    expect(await learnloopTables()).toEqual(tables);
    expect(await migrateToLatest(fresh.db)).toEqual([]);
  });

  it('migrate down one step, then all the way, leaving no table or function behind', async () => {
    const names = Object.keys(migrations);
    const one = await migrateDown(fresh.db);
    expect(one.map((r) => [r.migrationName, r.direction])).toEqual([[names.at(-1), 'Down']]);
    const rest = await migrateDown(fresh.db, 'all');
    expect(rest.map((r) => r.migrationName)).toEqual(names.slice(0, -1).reverse());
    expect(await learnloopTables()).toEqual([]);
    expect(await functions()).toEqual([]);
    expect(await migrateDown(fresh.db, 'all')).toEqual([]);
  });

  it('migrate up again after down: the down migrations leave a clean slate', async () => {
    await migrateToLatest(fresh.db);
    expect(await learnloopTables()).toEqual(tables);
    const head = await fresh.db.selectFrom('audit_chain_head').selectAll().execute();
    expect(head).toEqual([{ singleton: true, last_id: null, last_hash: '0'.repeat(64) }]);
  });

  it('refuses a step count that is not a positive whole number', async () => {
    await expect(migrateDown(fresh.db, 0)).rejects.toThrow(/positive whole number/);
    await expect(migrateDown(fresh.db, 1.5)).rejects.toThrow(/positive whole number/);
  });

  it('learnloop db migrate prints what it applies and reverts, and exits 2 on bad usage', async () => {
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const env = { DATABASE_URL: fresh.url };
      expect(await dbCommand(['migrate', '--down', '2'], env)).toBe(0);
      expect(await dbCommand(['migrate'], env)).toBe(0);
      expect(await dbCommand(['migrate'], env)).toBe(0);
      expect(await dbCommand(['migrate', '--down', 'x'], env)).toBe(2);
      expect(await dbCommand(['migrate'], {})).toBe(1);
      expect(await dbCommand(['migrate'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' })).toBe(1);
    } finally {
      write.mockRestore();
      err.mockRestore();
    }
    const [secondLast, last] = Object.keys(migrations).slice(-2);
    expect(out.join('')).toBe(
      `reverted ${last}\nreverted ${secondLast}\napplied  ${secondLast}\napplied  ${last}\ndatabase is up to date\n`,
    );
  });
});
