import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { chainVerifier, type ChainBreak, type ChainVerifier } from './chain.ts';

export type AuditVerification = { ok: true; rows: number } | ({ ok: false; rows: number } & ChainBreak);

/** Checks the rows with id > `after` (and <= `upTo`, if given), a page at a time; returns the first break, if any. */
async function checkRange(
  db: Kysely<Database>,
  verifier: ChainVerifier,
  position: { lastId: number },
  pageSize: number,
  upTo?: number,
): Promise<ChainBreak | undefined> {
  for (;;) {
    let page = db.selectFrom('audit_log').selectAll().where('id', '>', position.lastId);
    if (upTo !== undefined) page = page.where('id', '<=', upTo);
    const rows = await page.orderBy('id').limit(pageSize).execute();
    for (const row of rows) {
      const broken = verifier.check(row);
      if (broken) return broken;
      position.lastId = row.id;
    }
    if (rows.length < pageSize) return undefined;
  }
}

/**
 * Recomputes the audit chain from the genesis, a page at a time in id order (never the whole log in memory), and names
 * the first row where it breaks. Then it compares the chain's end with the head row that every append moves in the
 * same transaction: the chain must end exactly there, or rows were cut off the end (or the head was moved).
 * Appends made while it runs are followed up to the head as read after the scan, so a live log verifies.
 *
 * This detects changes made around the database's triggers; it cannot detect a rewrite that recomputes every hash
 * after the change. Against that, compare the last hash with one kept outside the database.
 */
export async function verifyAuditChain(
  db: Kysely<Database>,
  options: { pageSize?: number } = {},
): Promise<AuditVerification> {
  const pageSize = options.pageSize ?? 1000;
  const verifier = chainVerifier();
  const position = { lastId: 0 }; // ids start at 1
  const broken = await checkRange(db, verifier, position, pageSize);
  if (broken) return { ok: false, rows: verifier.rows, ...broken };

  const head = await db
    .selectFrom('audit_chain_head')
    .select(['last_id', 'last_hash'])
    .where('singleton', '=', true)
    .executeTakeFirst();
  if (!head) throw new Error('audit_chain_head has no row: is the database migrated?');
  const headId = head.last_id ?? 0;
  if (headId > position.lastId) {
    // Appended since the scan passed (or cut off the end: then the rows are not there and the end check below fails).
    const late = await checkRange(db, verifier, position, pageSize, headId);
    if (late) return { ok: false, rows: verifier.rows, ...late };
  }
  if (position.lastId === headId && verifier.lastHash === head.last_hash) return { ok: true, rows: verifier.rows };
  // The head names a row past the chain's end (rows cut off), or the chain runs past the head (the head was moved).
  const firstBrokenId =
    headId > position.lastId
      ? headId
      : ((
          await db
            .selectFrom('audit_log')
            .select('id')
            .where('id', '>', headId)
            .orderBy('id')
            .limit(1)
            .executeTakeFirst()
        )?.id ?? headId);
  return {
    ok: false,
    rows: verifier.rows,
    firstBrokenId,
    reason: 'head_mismatch',
    expected: head.last_hash,
    actual: verifier.lastHash,
  };
}
