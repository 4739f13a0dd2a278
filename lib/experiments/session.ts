import { randomUUID } from 'node:crypto';
import type {
  FailureCategorySummary,
  SessionTriggered,
  ThresholdCrossing,
  WindowSummary,
} from '../contracts/types.generated.ts';
import { openSession, type OpenSessionResult } from '../db/repositories/sessions.ts';
import type { Db, Session, SessionTrigger } from '../db/schema.ts';

/** What a session was opened on: the agent's window figures, the thresholds they crossed, its top failure categories. */
export interface SessionSignals {
  window: WindowSummary;
  thresholdsCrossed: ThresholdCrossing[];
  topFailureCategories: FailureCategorySummary[];
}

export type OpenedSession =
  | { ok: true; session: Session; event: SessionTriggered }
  | Exclude<OpenSessionResult, { ok: true }>;

/**
 * Opens a learning session (single flight and one per scheduled slot are the database's to enforce) and builds the
 * learning.session.triggered.v1 that announces it, from the same signals: both in the caller's transaction, so that
 * neither exists without the other. The aggregator opens them on thresholds and the schedule, a person through the
 * control plane (`requestedBy`).
 */
export async function openLearningSession(
  db: Db,
  input: {
    agentId: string;
    trigger: SessionTrigger;
    /** The version the signals measured (the live version); null when unknown. */
    agentVersionId: string | null;
    signals: SessionSignals;
    /** Who started it by hand; null for the aggregator's triggers. */
    requestedBy?: string | null;
    /** Why, when a person started it. */
    reason?: string | null;
    slot?: string | null;
    now: Date;
  },
): Promise<OpenedSession> {
  const opened = await openSession(db, {
    id: randomUUID(),
    agent_id: input.agentId,
    trigger: input.trigger,
    started_by: input.requestedBy ?? null,
    reason: input.reason ?? null,
    slot: input.slot ?? null,
    signals: input.signals,
    created_at: input.now,
  });
  if (!opened.ok) return opened;
  const { session } = opened;
  return {
    ok: true,
    session,
    event: {
      eventId: `session-triggered-${session.id}`,
      sessionId: session.id,
      agentId: input.agentId,
      agentVersionId: input.agentVersionId ?? 'unknown',
      trigger: input.trigger,
      triggeredAt: input.now,
      requestedBy: input.requestedBy ?? null,
      reason: input.reason ?? null,
      ...input.signals,
    },
  };
}
