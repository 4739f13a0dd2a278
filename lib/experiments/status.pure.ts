import type { ExperimentStatus } from '../contracts/types.generated.ts';
import type { ExperimentStatus as StoredExperimentStatus } from '../db/schema.ts';

/**
 * An experiment's statuses and the sets of them the loop acts on. Two vocabularies: events
 * (learning.experiment.state.v1) tell a rejected experiment from a cancelled one; the experiments table stores both as
 * `closed`, and its `decision` column says which (eventStatus, storedStatus).
 */

export type { ExperimentStatus, StoredExperimentStatus };

/** In flight: the agent's one experiment (single flight), with no new session and no change of live version meanwhile. */
export const activeStatuses = ['running', 'paused', 'awaiting_approval'] as const satisfies readonly (ExperimentStatus &
  StoredExperimentStatus)[];
export type ActiveStatus = (typeof activeStatuses)[number];

/** Assigning traffic: the routers send units to the candidate, and the judge analyses and decides. */
export const assigningStatuses = ['running', 'awaiting_approval'] as const satisfies readonly ActiveStatus[];

const active: ReadonlySet<string> = new Set(activeStatuses);
const assigning: ReadonlySet<string> = new Set(assigningStatuses);

/** Whether the status is active. A status this code does not know is not. */
export const isActive = (status: string): status is ActiveStatus => active.has(status);

/** Whether the status assigns traffic. Paused, the terminal statuses and anything unknown serve the baseline only. */
export const isAssigning = (status: string): boolean => assigning.has(status);

/** Terminal: every status that is not active. The experiment has ended and never runs again. */
export const isTerminal = (status: ExperimentStatus | StoredExperimentStatus): boolean => !isActive(status);

/** A stored status as an event says it: `closed` is `rejected` when its decision's outcome says so, else `cancelled`. */
export function eventStatus(status: StoredExperimentStatus, decision: unknown): ExperimentStatus {
  if (status !== 'closed') return status;
  const outcome = (decision as { outcome?: unknown } | null)?.outcome;
  return outcome === 'rejected' ? 'rejected' : 'cancelled';
}

/** An event's status as the table stores it. */
export function storedStatus(status: ExperimentStatus): StoredExperimentStatus {
  return status === 'rejected' || status === 'cancelled' ? 'closed' : status;
}
