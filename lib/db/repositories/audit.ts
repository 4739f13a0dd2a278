import { sql } from 'kysely';
import { auditHash } from '../../audit/chain.ts';
import { asStored, jsonb } from '../json.ts';
import type { AuditRow, Db, JsonInput } from '../schema.ts';

export interface AuditEntry {
  /** Who did it: a service name ('experiment-judge'), or a person ('slack:U123'). */
  actor: string;
  /** What happened, dotted: 'experiment.promoted', 'approval.decided', 'policy.updated'. */
  action: string;
  agent_id?: string | null;
  /** What it happened to: ('experiment', id), ('approval', id), ... */
  subject_type: string;
  subject_id: string;
  /** The evidence: statistics, thresholds, policy version, so that the decision can be recomputed (docs/statistics.md, Replaying a decision). */
  payload: JsonInput;
  /** Defaults to now; at millisecond precision, like the column. */
  at?: Date;
}

async function append(trx: Db, entry: AuditEntry): Promise<AuditRow> {
  // The head row lock serialises appends until this transaction ends: the chain cannot fork, and the ids taken
  // below are in chain order. Under REPEATABLE READ a concurrent append makes this fail rather than fork.
  const head = await trx
    .selectFrom('audit_chain_head')
    .select('last_hash')
    .where('singleton', '=', true)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const { rows } = await sql<{ id: number }>`SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) AS id`.execute(
    trx,
  );
  const id = rows[0]!.id;
  const row = {
    id,
    at: new Date((entry.at ?? new Date()).getTime()),
    actor: entry.actor,
    action: entry.action,
    agent_id: entry.agent_id ?? null,
    subject_type: entry.subject_type,
    subject_id: entry.subject_id,
    // Hashed as it will read back from jsonb, so that verification recomputes the same hash.
    payload: asStored(entry.payload),
  };
  const hash = auditHash(row, head.last_hash);
  return trx
    .insertInto('audit_log')
    .values({ ...row, payload: jsonb(row.payload), prev_hash: head.last_hash, hash })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Appends an entry to the tamper-evident audit log. Given a transaction, the entry commits (or not) with the caller's
 * other writes, and the chain stays locked until then: append as late in the transaction as you can. Given a plain
 * handle, it runs in a transaction of its own.
 */
export async function appendAudit(db: Db, entry: AuditEntry): Promise<AuditRow> {
  return db.isTransaction ? append(db, entry) : db.transaction().execute((trx) => append(trx, entry));
}

export interface AuditPage {
  entries: AuditRow[];
  /** Pass as `before_id` for the next (older) page; null when this is the last. */
  next_before_id: number | null;
}

/** Audit entries, newest first, optionally one agent's (agent_id) or one subject's, paged by id. */
export async function listAudit(
  db: Db,
  query: {
    agent_id?: string;
    subject_type?: string;
    subject_id?: string;
    actor?: string;
    /** Exact, or a prefix when it ends with a dot. */
    action?: string;
    before_id?: number;
    limit?: number;
  } = {},
): Promise<AuditPage> {
  const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
  let select = db.selectFrom('audit_log').selectAll();
  if (query.agent_id !== undefined) select = select.where('agent_id', '=', query.agent_id);
  if (query.subject_type !== undefined) select = select.where('subject_type', '=', query.subject_type);
  if (query.subject_id !== undefined) select = select.where('subject_id', '=', query.subject_id);
  if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
  if (query.action !== undefined)
    select = query.action.endsWith('.')
      ? select.where(sql<boolean>`starts_with(action, ${query.action})`)
      : select.where('action', '=', query.action);
  if (query.before_id !== undefined) select = select.where('id', '<', query.before_id);
  const rows = await select
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const entries = rows.slice(0, limit);
  return { entries, next_before_id: rows.length > limit ? entries[entries.length - 1]!.id : null };
}
