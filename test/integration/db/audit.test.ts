import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditHash, GENESIS_HASH } from '../../../lib/audit/chain.ts';
import { verifyAuditChain } from '../../../lib/audit/verify.ts';
import { auditCommand } from '../../../cli/db.ts';
import { appendAudit, listAudit, type AuditEntry } from '../../../lib/db/repositories/audit.ts';
import type { Db } from '../../../lib/db/schema.ts';
import { freshDatabase, type FreshDatabase } from '../../setup/database.ts';

const entry = (i: number, agent = `agent-${i % 3}`): AuditEntry => ({
  actor: 'experiment-judge',
  action: 'experiment.ramped',
  agent_id: agent,
  subject_type: 'experiment',
  subject_id: `exp-${i}`,
  payload: { step: i, share: i / 100, nested: { b: [1, 'two', null], a: 'ü' } },
});

/** The Postgres error a rejected promise carried: its message and SQLSTATE. */
async function pgError(promise: Promise<unknown>): Promise<{ message: string; code: string }> {
  try {
    await promise;
  } catch (err) {
    return { message: (err as Error).message, code: (err as { code: string }).code };
  }
  throw new Error('expected the database to refuse');
}

async function withTriggerDisabled(db: Db, trigger: string, change: () => Promise<unknown>): Promise<void> {
  await sql.raw(`ALTER TABLE audit_log DISABLE TRIGGER ${trigger}`).execute(db);
  try {
    await change();
  } finally {
    await sql.raw(`ALTER TABLE audit_log ENABLE TRIGGER ${trigger}`).execute(db);
  }
}

describe('the audit log', () => {
  let fresh: FreshDatabase;
  let db: Db;
  beforeAll(async () => {
    fresh = await freshDatabase();
    db = fresh.db;
  });
  afterAll(() => fresh.drop());

  it('an empty log verifies', async () => {
    expect(await verifyAuditChain(db)).toEqual({ ok: true, rows: 0 });
  });

  it('appends rows whose stored hash recomputes from what reads back', async () => {
    const at = new Date('2026-02-03T04:05:06.789Z');
    const first = await appendAudit(db, {
      ...entry(1),
      at,
      payload: { z: 1, a: [1.5, { y: true, x: null }], skipped: undefined },
    });
    expect(first).toMatchObject({
      id: expect.any(Number),
      at,
      prev_hash: GENESIS_HASH,
      payload: { a: [1.5, { x: null, y: true }], z: 1 },
    });
    expect(first.hash).toBe(auditHash(first, GENESIS_HASH));
    const second = await appendAudit(db, { ...entry(2), agent_id: null });
    expect(second.prev_hash).toBe(first.hash);
    expect(second.id).toBeGreaterThan(first.id);
    const [reread] = await db.selectFrom('audit_log').selectAll().where('id', '=', first.id).execute();
    expect(reread!.hash).toBe(auditHash(reread!, reread!.prev_hash));
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database', async () => {
    const update = await pgError(sql`UPDATE audit_log SET actor = 'mallory'`.execute(db));
    expect(update).toEqual({ code: '23001', message: 'audit_log is append-only: UPDATE is not allowed' });
    const remove = await pgError(db.deleteFrom('audit_log').where('id', '>', 0).execute());
    expect(remove).toEqual({ code: '23001', message: 'audit_log is append-only: DELETE is not allowed' });
    const truncate = await pgError(sql`TRUNCATE audit_log`.execute(db));
    expect(truncate).toEqual({ code: '23001', message: 'audit_log is append-only: TRUNCATE is not allowed' });
    expect(await verifyAuditChain(db)).toEqual({ ok: true, rows: 2 });
  });

  it('refuses an insert that does not extend the chain head, even from a writer that skips appendAudit', async () => {
    const forged = {
      at: new Date(),
      actor: 'x',
      action: 'y',
      subject_type: 's',
      subject_id: 'i',
      payload: '{}',
      prev_hash: GENESIS_HASH,
      hash: 'b'.repeat(64),
    };
    const error = await pgError(
      db
        .insertInto('audit_log')
        .values({ id: 999_999, ...forged })
        .execute(),
    );
    expect(error.code).toBe('23001');
    expect(error.message).toMatch(/does not extend the chain head/);
  });

  it('an append rolled back with its transaction leaves the chain intact', async () => {
    await expect(
      db.transaction().execute(async (trx) => {
        await appendAudit(trx, entry(3));
        throw new Error('the caller failed after appending');
      }),
    ).rejects.toThrow(/caller failed/);
    const after = await appendAudit(db, entry(4));
    expect(after.prev_hash).toBe((await listAudit(db, { limit: 2 })).entries[1]!.hash);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, rows: 3 });
  });

  it('stays one chain under 200 appends from 8 concurrent writers, each in a transaction with other work', async () => {
    const before = (await verifyAuditChain(db)).rows;
    await Promise.all(
      Array.from({ length: 8 }, (_, writer) =>
        (async () => {
          for (let i = 0; i < 25; i++) {
            await db.transaction().execute(async (trx) => {
              await sql`SELECT pg_sleep(0.001)`.execute(trx);
              await appendAudit(trx, entry(writer * 100 + i, `agent-${writer}`));
            });
          }
        })(),
      ),
    );
    const rows = await db.selectFrom('audit_log').selectAll().orderBy('id').execute();
    expect(rows).toHaveLength(before + 200);
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(rows.length);
    expect(await verifyAuditChain(db, { pageSize: 17 })).toEqual({ ok: true, rows: before + 200 });
  });

  it('lists an agent’s entries newest first, in pages', async () => {
    const all = await db
      .selectFrom('audit_log')
      .select('id')
      .where('agent_id', '=', 'agent-5')
      .orderBy('id', 'desc')
      .execute();
    expect(all).toHaveLength(25);
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await listAudit(db, {
        agent_id: 'agent-5',
        limit: 10,
        ...(before === undefined ? {} : { before_id: before }),
      });
      seen.push(...page.entries.map((e) => e.id));
      expect(page.entries.every((e) => e.agent_id === 'agent-5')).toBe(true);
      if (page.next_before_id === null) break;
      before = page.next_before_id;
    }
    expect(seen).toEqual(all.map((r) => r.id));
  });

  it('learnloop audit verify prints the row count and exits 0', async () => {
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    try {
      expect(await auditCommand(['verify'], { DATABASE_URL: fresh.url })).toBe(0);
    } finally {
      write.mockRestore();
    }
    expect(out.join('')).toBe(`audit chain intact: ${(await verifyAuditChain(db)).rows} rows\n`);
  });
});

describe('tampering with the audit log', () => {
  // Each test tampers with a chain of its own: the verdict names only the first break.
  let fresh: FreshDatabase;
  let db: Db;
  let ids: number[];
  beforeEach(async () => {
    fresh = await freshDatabase();
    db = fresh.db;
    for (let i = 1; i <= 30; i++) await appendAudit(db, entry(i));
    ids = (await db.selectFrom('audit_log').select('id').orderBy('id').execute()).map((r) => r.id);
  });
  afterEach(() => fresh.drop());

  it('a payload changed around the trigger (as superuser) is named, exactly that row', async () => {
    const target = ids[16]!;
    await withTriggerDisabled(db, 'audit_log_append_only', () =>
      sql`UPDATE audit_log SET payload = jsonb_set(payload, '{step}', '1000') WHERE id = ${target}`.execute(db),
    );
    expect(await verifyAuditChain(db, { pageSize: 7 })).toMatchObject({
      ok: false,
      firstBrokenId: target,
      reason: 'hash_mismatch',
      rows: 17,
    });

    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    try {
      expect(await auditCommand(['verify'], { DATABASE_URL: fresh.url })).toBe(1);
    } finally {
      write.mockRestore();
    }
    expect(out.join('')).toMatch(
      new RegExp(
        `^audit chain broken at row ${target}: hash_mismatch \\(expected [0-9a-f]{64}, found [0-9a-f]{64}\\)\\n$`,
      ),
    );

    // Put back, the chain verifies again.
    await withTriggerDisabled(db, 'audit_log_append_only', () =>
      sql`UPDATE audit_log SET payload = jsonb_set(payload, '{step}', '17') WHERE id = ${target}`.execute(db),
    );
    expect(await verifyAuditChain(db)).toEqual({ ok: true, rows: 30 });
  });

  it('a deleted middle row is named by its successor', async () => {
    await withTriggerDisabled(db, 'audit_log_append_only', () =>
      db.deleteFrom('audit_log').where('id', '=', ids[9]!).execute(),
    );
    expect(await verifyAuditChain(db)).toMatchObject({
      ok: false,
      firstBrokenId: ids[10],
      reason: 'prev_hash_mismatch',
    });
  });

  it('two rows reordered (their contents exchanged, ids in place) are named at the first', async () => {
    await withTriggerDisabled(db, 'audit_log_append_only', () =>
      sql`UPDATE audit_log a SET subject_id = b.subject_id, payload = b.payload
          FROM audit_log b WHERE (a.id, b.id) IN ((${ids[4]!}, ${ids[5]!}), (${ids[5]!}, ${ids[4]!}))`.execute(db),
    );
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, firstBrokenId: ids[4], reason: 'hash_mismatch' });
  });

  it('rows deleted from the start are detected: the first row does not follow the genesis', async () => {
    await withTriggerDisabled(db, 'audit_log_append_only', () =>
      db.deleteFrom('audit_log').where('id', '<', ids[3]!).execute(),
    );
    expect(await verifyAuditChain(db)).toMatchObject({
      ok: false,
      firstBrokenId: ids[3],
      reason: 'prev_hash_mismatch',
      expected: GENESIS_HASH,
    });
  });

  it('rows cut off the end are detected against the chain head', async () => {
    await withTriggerDisabled(db, 'audit_log_append_only', () =>
      db.deleteFrom('audit_log').where('id', '>=', ids[27]!).execute(),
    );
    expect(await verifyAuditChain(db)).toMatchObject({
      ok: false,
      rows: 27,
      firstBrokenId: ids[29],
      reason: 'head_mismatch',
    });
  });

  it('a truncated log is detected against the chain head', async () => {
    const head = await db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
    await withTriggerDisabled(db, 'audit_log_no_truncate', () => sql`TRUNCATE audit_log`.execute(db));
    expect(await verifyAuditChain(db)).toEqual({
      ok: false,
      rows: 0,
      firstBrokenId: head.last_id,
      reason: 'head_mismatch',
      expected: head.last_hash,
      actual: GENESIS_HASH,
    });
  });

  it('a chain head moved back is detected: the chain runs past it', async () => {
    const earlier = await db
      .selectFrom('audit_log')
      .select(['id', 'hash'])
      .where('id', '=', ids[8]!)
      .executeTakeFirstOrThrow();
    await db.updateTable('audit_chain_head').set({ last_id: earlier.id, last_hash: earlier.hash }).execute();
    expect(await verifyAuditChain(db)).toMatchObject({
      ok: false,
      rows: 30,
      firstBrokenId: ids[9],
      reason: 'head_mismatch',
      expected: earlier.hash,
    });
  });
});
