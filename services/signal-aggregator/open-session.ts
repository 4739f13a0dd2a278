import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { SessionTriggered, ThresholdCrossing } from '../../lib/contracts/types.generated.ts';
import type { Database } from '../../lib/db/schema.ts';
import { registerAgent } from '../../lib/db/repositories/agents.ts';
import { openSession } from '../../lib/db/repositories/sessions.ts';
import type { WindowSettings } from './window.pure.ts';
import { summarise, topFailureCategories, type AgentWindow } from './window.pure.ts';

export type Opened = { ok: true; event: SessionTriggered } | { ok: false; reason: 'session_open' | 'slot_taken' };

/**
 * Opens the agent's session (single flight and one per slot are the database's to enforce) and builds the event that
 * announces it, with the window's figures: both go in the caller's transaction, so neither exists without the other.
 */
export async function openTriggeredSession(
  trx: Transaction<Database>,
  input: {
    agentId: string;
    window: AgentWindow;
    settings: WindowSettings;
    trigger: 'threshold' | 'scheduled';
    crossed: ThresholdCrossing[];
    slot?: string;
    now: Date;
  },
): Promise<Opened> {
  const figures = summarise(input.window, input.settings);
  const categories = topFailureCategories(input.window);
  await registerAgent(trx, { id: input.agentId, name: input.agentId });
  const sessionId = randomUUID();
  const opened = await openSession(trx, {
    id: sessionId,
    agent_id: input.agentId,
    trigger: input.trigger,
    slot: input.slot ?? null,
    signals: { window: figures, thresholdsCrossed: input.crossed, topFailureCategories: categories },
    created_at: input.now,
  });
  if (!opened.ok) return { ok: false, reason: opened.reason };
  input.window.lastSessionAt = input.now.getTime();
  input.window.runsSinceSession = 0;
  input.window.firstRunSinceSession = null;
  return {
    ok: true,
    event: {
      eventId: `session-triggered-${sessionId}`,
      sessionId,
      agentId: input.agentId,
      agentVersionId: input.window.agentVersionId ?? 'unknown',
      trigger: input.trigger,
      triggeredAt: input.now,
      requestedBy: null,
      window: figures,
      thresholdsCrossed: input.crossed,
      topFailureCategories: categories,
    },
  };
}
