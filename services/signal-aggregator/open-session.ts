import type { Transaction } from 'kysely';
import type { SessionTriggered, ThresholdCrossing } from '../../lib/contracts/types.generated.ts';
import type { Database } from '../../lib/db/schema.ts';
import { registerAgent } from '../../lib/db/repositories/agents.ts';
import { openLearningSession } from '../../lib/experiments/session.ts';
import type { WindowSettings } from './window.pure.ts';
import { summarise, topFailureCategories, type AgentWindow } from './window.pure.ts';

export type Opened = { ok: true; event: SessionTriggered } | { ok: false; reason: 'session_open' | 'slot_taken' };

/**
 * Opens the agent's session with the window's figures, and the event that announces it (lib/experiments/session.ts),
 * in the caller's transaction; the window then counts its runs since this session.
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
  await registerAgent(trx, { id: input.agentId, name: input.agentId });
  const opened = await openLearningSession(trx, {
    agentId: input.agentId,
    trigger: input.trigger,
    agentVersionId: input.window.agentVersionId,
    signals: {
      window: summarise(input.window, input.settings),
      thresholdsCrossed: input.crossed,
      topFailureCategories: topFailureCategories(input.window),
    },
    slot: input.slot ?? null,
    now: input.now,
  });
  if (!opened.ok) return { ok: false, reason: opened.reason };
  input.window.lastSessionAt = input.now.getTime();
  input.window.runsSinceSession = 0;
  input.window.firstRunSinceSession = null;
  return { ok: true, event: opened.event };
}
