import { supersedes, toRouterExperiment, type RouterExperiment } from './experiment.pure.ts';
import type { ExperimentStateRecord, VersionPromotedRecord } from './records.pure.ts';

/**
 * What the router believes about each agent, rebuilt on every replica from the two topics: the agent's newest
 * experiment state and its newest promotion. Each change is a pure function from the old view to the new one.
 */

export interface Promotion {
  versionId: string;
  previousVersionId: string | null;
  promotedAtMs: number;
  eventId: string;
  experimentId: string | null;
}

export type LiveSource = 'promotion' | 'experiment';

export interface AgentView {
  agentId: string;
  experiment: RouterExperiment | null;
  promotion: Promotion | null;
  /** The version served to every run the experiment does not take: see liveVersion. */
  liveVersionId: string | null;
  liveSource: LiveSource | null;
}

export type Table = Map<string, AgentView>;

export function createTable(): Table {
  return new Map();
}

/**
 * The live version: the newest promotion's version; with no promotion held (none yet, or past the topic's retention),
 * what the newest experiment implies: its candidate once it is promoted, else its baseline; with neither, null (the
 * runtime serves its own default). A promotion always wins, so that a promotion is served to all at once even when the
 * experiment's final state arrives later.
 */
export function liveVersion(
  experiment: RouterExperiment | null,
  promotion: Promotion | null,
): { versionId: string | null; source: LiveSource | null } {
  if (promotion !== null) return { versionId: promotion.versionId, source: 'promotion' };
  if (experiment !== null) {
    const versionId = experiment.status === 'promoted' ? experiment.candidateVersionId : experiment.baselineVersionId;
    if (versionId !== null) return { versionId, source: 'experiment' };
  }
  return { versionId: null, source: null };
}

function view(agentId: string, experiment: RouterExperiment | null, promotion: Promotion | null): AgentView {
  const live = liveVersion(experiment, promotion);
  return { agentId, experiment, promotion, liveVersionId: live.versionId, liveSource: live.source };
}

export type ApplyResult = 'applied' | 'superseded';

/** An experiment state, applied only when it supersedes the one held (the version check, docs/router.md). */
export function applyExperimentState(
  current: AgentView | undefined,
  state: ExperimentStateRecord,
): { view: AgentView; result: ApplyResult } {
  const held = current?.experiment ?? null;
  const incoming = toRouterExperiment(state);
  if (current !== undefined && !supersedes(incoming, held)) return { view: current, result: 'superseded' };
  return { view: view(state.agentId, incoming, current?.promotion ?? null), result: 'applied' };
}

/** A tombstone on the compacted state topic: the agent's experiment is deleted. */
export function removeExperiment(current: AgentView | undefined, agentId: string): AgentView {
  return view(agentId, null, current?.promotion ?? null);
}

/** Whether `incoming` is newer than `held`: the later promotedAt, then the larger eventId (any order, same answer). */
export function promotionSupersedes(incoming: Promotion, held: Promotion | null): boolean {
  if (held === null) return true;
  if (incoming.promotedAtMs !== held.promotedAtMs) return incoming.promotedAtMs > held.promotedAtMs;
  return incoming.eventId > held.eventId;
}

export function applyPromotion(
  current: AgentView | undefined,
  event: VersionPromotedRecord,
): { view: AgentView; result: ApplyResult } {
  const incoming: Promotion = {
    versionId: event.promotedVersionId,
    previousVersionId: event.previousVersionId,
    promotedAtMs: event.promotedAt.getTime(),
    eventId: event.eventId,
    experimentId: event.experimentId,
  };
  if (current !== undefined && !promotionSupersedes(incoming, current.promotion))
    return { view: current, result: 'superseded' };
  return { view: view(event.agentId, current?.experiment ?? null, incoming), result: 'applied' };
}
