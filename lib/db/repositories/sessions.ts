import { randomUUID } from 'node:crypto';
import { jsonb } from '../json.ts';
import {
  openSessionStatuses,
  type Db,
  type JsonInput,
  type Session,
  type SessionStatus,
  type SessionTrigger,
} from '../schema.ts';

export interface OpenSessionInput {
  id?: string;
  agent_id: string;
  trigger: SessionTrigger;
  signals: JsonInput;
  started_by?: string | null;
  /** For scheduled sessions: the cron slot (e.g. '2026-03-01T06:00Z'); one session per (agent, slot), ever. */
  slot?: string | null;
  reason?: string | null;
  created_at?: Date;
}

export type OpenSessionResult =
  | { ok: true; session: Session }
  /** The agent already has a session that is not closed or failed (single flight). */
  | { ok: false; reason: 'session_open'; openSessionId: string | undefined }
  /** A session was already opened for this scheduled slot (by another replica, or earlier). */
  | { ok: false; reason: 'slot_taken'; sessionId: string | undefined };

/**
 * Opens a learning session unless single flight forbids it. The unique indexes decide, so concurrent openers on any
 * number of replicas get exactly one session; the losers get a typed refusal. INSERT ... ON CONFLICT DO NOTHING (any
 * unique index) rather than catching the violation, so that a caller's transaction is not aborted by the refusal.
 */
export async function openSession(db: Db, input: OpenSessionInput): Promise<OpenSessionResult> {
  const session = await db
    .insertInto('sessions')
    .values({
      id: input.id ?? randomUUID(),
      agent_id: input.agent_id,
      trigger: input.trigger,
      signals: jsonb(input.signals),
      started_by: input.started_by ?? null,
      slot: input.slot ?? null,
      reason: input.reason ?? null,
      created_at: input.created_at,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  if (session) return { ok: true, session };
  if (input.slot != null) {
    const bySlot = await db
      .selectFrom('sessions')
      .select('id')
      .where('agent_id', '=', input.agent_id)
      .where('slot', '=', input.slot)
      .executeTakeFirst();
    if (bySlot) return { ok: false, reason: 'slot_taken', sessionId: bySlot.id };
  }
  const open = await getOpenSession(db, input.agent_id);
  return { ok: false, reason: 'session_open', openSessionId: open?.id };
}

export async function getSession(db: Db, id: string): Promise<Session | undefined> {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The agent's session that is not closed or failed, if any (there is at most one). */
export async function getOpenSession(db: Db, agentId: string): Promise<Session | undefined> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('agent_id', '=', agentId)
    .where('status', 'in', openSessionStatuses)
    .executeTakeFirst();
}

export type SessionUpdateResult =
  | { ok: true; session: Session }
  | { ok: false; reason: 'not_found' | 'already_closed'; session?: Session };

async function refusal(db: Db, id: string): Promise<SessionUpdateResult> {
  const session = await getSession(db, id);
  return session ? { ok: false, reason: 'already_closed', session } : { ok: false, reason: 'not_found' };
}

/** Moves an open session along (open → proposing → experimenting); a closed or failed session stays as it is. */
export async function setSessionStatus(
  db: Db,
  id: string,
  status: 'open' | 'proposing' | 'experimenting',
): Promise<SessionUpdateResult> {
  const session = await db
    .updateTable('sessions')
    .set({ status })
    .where('id', '=', id)
    .where('status', 'in', openSessionStatuses)
    .returningAll()
    .executeTakeFirst();
  return session ? { ok: true, session } : refusal(db, id);
}

/** Ends a session (closed, or failed), which frees the agent for the next one. Ending it twice keeps the first end. */
export async function closeSession(
  db: Db,
  id: string,
  end: { status?: Extract<SessionStatus, 'closed' | 'failed'>; reason?: string | null; closed_at?: Date } = {},
): Promise<SessionUpdateResult> {
  const session = await db
    .updateTable('sessions')
    .set((eb) => ({
      status: end.status ?? 'closed',
      close_reason: end.reason ?? null,
      closed_at: end.closed_at ?? eb.fn<Date>('now', []),
    }))
    .where('id', '=', id)
    .where('status', 'in', openSessionStatuses)
    .returningAll()
    .executeTakeFirst();
  return session ? { ok: true, session } : refusal(db, id);
}
