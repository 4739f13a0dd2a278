import type { Kysely } from 'kysely';
import type { ApprovalRequested } from '../../lib/contracts/types.generated.ts';
import { jsonb } from '../../lib/db/json.ts';
import type { Database, Db } from '../../lib/db/schema.ts';
import { renderRequest, withOutcome, type Outcome, type SlackMessage } from './blocks.pure.ts';
import type { SlackMetrics } from './metrics.ts';
import { nextShown, type Shown } from './outcome.pure.ts';
import type { SlackApi } from './slack-api.ts';

/** A message row as the bridge uses it. */
export interface MessageRow extends Shown {
  approvalId: string;
  experimentId: string;
  agentId: string;
  candidateVersionId: string | null;
  sessionStartedBy: string | null;
  expiresAt: Date;
  /** The rendered request without its outcome; null until the request is seen (a decision can arrive first). */
  rendered: SlackMessage | null;
  channel: string | null;
  ts: string | null;
}

export interface Messages {
  db: Kysely<Database>;
  slack: SlackApi;
  channel: string;
  pageUrl: string | undefined;
  metrics: SlackMetrics;
}

function rowOf(r: {
  approval_id: string;
  experiment_id: string;
  agent_id: string;
  candidate_version_id: string | null;
  session_started_by: string | null;
  expires_at: Date;
  request: unknown;
  channel: string | null;
  ts: string | null;
  state: Shown['state'];
  outcome: unknown;
}): MessageRow {
  return {
    approvalId: r.approval_id,
    experimentId: r.experiment_id,
    agentId: r.agent_id,
    candidateVersionId: r.candidate_version_id,
    sessionStartedBy: r.session_started_by,
    expiresAt: r.expires_at,
    rendered: (r.request as SlackMessage | null) ?? null,
    channel: r.channel,
    ts: r.ts,
    state: r.state,
    outcome: (r.outcome as Outcome | null) ?? null,
  };
}

export async function findMessage(db: Db, approvalId: string, lock = false): Promise<MessageRow | undefined> {
  let query = db.selectFrom('slack_messages').selectAll().where('approval_id', '=', approvalId);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? rowOf(row) : undefined;
}

/** The open (pending or paused) messages of an experiment, locked. */
export async function openMessagesOf(db: Db, experimentId: string): Promise<MessageRow[]> {
  const rows = await db
    .selectFrom('slack_messages')
    .selectAll()
    .where('experiment_id', '=', experimentId)
    .where('state', 'in', ['pending', 'paused'])
    .orderBy('approval_id')
    .forUpdate()
    .execute();
  return rows.map(rowOf);
}

/**
 * Posts a request's message, once. The row (with channel and ts) is committed on its own right after Slack answers,
 * not with the batch: if a later record of the batch fails and the batch is retried, this one is not posted again.
 * Returns false when it had been posted before. Throws SlackUnavailable (the partition waits) or SlackRefused.
 */
export async function postRequest(m: Messages, request: ApprovalRequested): Promise<boolean> {
  const existing = await findMessage(m.db, request.approvalId);
  if (existing?.ts) return false;
  const rendered = renderRequest(request, m.pageUrl, null);
  if (!rendered.ok) throw new Error(`the request cannot be rendered: ${rendered.reason}`);
  // A decision that arrived before the request (or an expiry) is shown at once, without buttons.
  const shown = withOutcome(rendered.message, existing?.outcome ?? null, request.approvalId);
  const posted = await m.slack.postMessage(m.channel, shown.text, shown.blocks);
  m.metrics.posted.inc();
  const values = {
    experiment_id: request.experimentId,
    agent_id: request.agentId,
    candidate_version_id: request.candidateVersionId,
    session_started_by: request.sessionStartedBy,
    expires_at: request.expiresAt,
    request: jsonb(rendered.message),
    channel: posted.channel,
    ts: posted.ts,
    posted_at: new Date(),
    updated_at: new Date(),
  };
  await m.db
    .insertInto('slack_messages')
    .values({ approval_id: request.approvalId, state: 'pending', outcome: null, ...values })
    .onConflict((oc) => oc.column('approval_id').doUpdateSet(values))
    .execute();
  return true;
}

/**
 * Records what a message shows next (in `db`, the caller's transaction), if it changes anything; creates the row of
 * a request not seen yet. Returns the row when Slack must be told.
 */
export async function recordOutcome(
  db: Db,
  target: { approvalId: string; experimentId: string; agentId: string; at: Date },
  outcome: Outcome | null,
): Promise<MessageRow | null> {
  const current = await findMessage(db, target.approvalId, true);
  if (!current) {
    if (outcome === null) return null;
    await db
      .insertInto('slack_messages')
      .values({
        approval_id: target.approvalId,
        experiment_id: target.experimentId,
        agent_id: target.agentId,
        expires_at: target.at,
        state: nextShown({ state: 'pending', outcome: null }, outcome)?.state ?? 'pending',
        outcome: jsonb(outcome),
        shown: true,
      })
      .onConflict((oc) => oc.column('approval_id').doNothing())
      .execute();
    return null;
  }
  const next = nextShown(current, outcome);
  if (next === null) return null;
  await db
    .updateTable('slack_messages')
    .set({
      state: next.state,
      outcome: next.outcome === null ? null : jsonb(next.outcome),
      shown: current.ts === null,
      updated_at: new Date(),
    })
    .where('approval_id', '=', current.approvalId)
    .execute();
  return current.ts === null ? null : { ...current, ...next };
}

/** Makes Slack show the row's state; marks it shown unless it changed meanwhile. */
export async function showOutcome(m: Messages, row: MessageRow, trx?: Db): Promise<void> {
  if (!row.channel || !row.ts || !row.rendered) return;
  const message = withOutcome(row.rendered, row.outcome, row.approvalId);
  await m.slack.update(row.channel, row.ts, message.text, message.blocks);
  m.metrics.updated.inc();
  await (trx ?? m.db)
    .updateTable('slack_messages')
    .set({ shown: true })
    .where('approval_id', '=', row.approvalId)
    .where('state', '=', row.state)
    .execute();
}

/** Rows Slack does not show as they are (an update that failed, or made by another replica), oldest first. */
export async function unshownMessages(db: Db, limit: number): Promise<MessageRow[]> {
  const rows = await db
    .selectFrom('slack_messages')
    .selectAll()
    .where('shown', '=', false)
    .where('ts', 'is not', null)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
  return rows.map(rowOf);
}

/** Open requests past their expiry, ids only. */
export async function expiredMessages(db: Db, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('slack_messages')
    .select('approval_id')
    .where('state', 'in', ['pending', 'paused'])
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.approval_id);
}
