import type { Logger } from '../../lib/logging.ts';
import type { AgentDescription } from '../../lib/router/schemas.ts';
import { decide, failSafe, type AssignRequest, type Assignment, type TagDraft } from './decide.pure.ts';
import { BASELINE_START } from '../../lib/experiments/buckets.pure.ts';
import { stateAgeMs, type Freshness } from './freshness.pure.ts';
import type { RouterMetrics, Transport } from './metrics.ts';
import type { Table } from './table.pure.ts';

/**
 * The router between its transports and its logic: gathers the conditions (readiness, state age, tag buffer), calls
 * decide(), hands the tags to the buffer and counts the outcome. Nothing here waits: the answer is computed from memory.
 */

/** Where the tags of enrolled runs go (the tagger, or a stand-in in the benchmark). */
export interface TagSink {
  available(): boolean;
  room(): number;
  enqueue(tags: readonly TagDraft[]): void;
}

export interface RouterCoreOptions {
  table: Table;
  freshness: Freshness;
  tags: TagSink;
  maxStateAgeMs: number;
  metrics: RouterMetrics;
  logger: Logger;
  now?: () => number;
}

export interface RouterCore {
  assign(request: AssignRequest, transport: Transport): Assignment;
  describe(agentId: string): AgentDescription;
  ready(): boolean;
}

export function createRouterCore(options: RouterCoreOptions): RouterCore {
  const { table, freshness, tags, maxStateAgeMs, metrics } = options;
  const now = options.now ?? Date.now;
  let lastErrorLogMs = 0;

  return {
    assign(request, transport) {
      const counts = metrics.assignments[transport];
      try {
        const nowMs = now();
        const view = table.get(request.agentId);
        const decision = decide(view, request, {
          nowMs,
          ready: freshness.completeAsOfMs !== null,
          stateAgeMs: stateAgeMs(freshness, nowMs),
          maxStateAgeMs,
          taggingAvailable: tags.available(),
          tagRoom: tags.room(),
        });
        if (decision.tags.length > 0) tags.enqueue(decision.tags);
        counts[decision.outcome].inc();
        if (decision.reason !== null) metrics.failSafe[decision.reason].inc();
        return decision.assignment;
      } catch (err) {
        // A bug must not fail the run: the live version, untagged. Logged at most every 10 s, counted always.
        const nowMs = Date.now();
        if (nowMs - lastErrorLogMs > 10_000) {
          lastErrorLogMs = nowMs;
          options.logger.error('assignment failed; serving the live version', { err, agentId: request.agentId });
        }
        counts.fail_safe.inc();
        metrics.failSafe.internal_error.inc();
        let view;
        try {
          view = table.get(request.agentId);
        } catch {
          view = undefined;
        }
        return failSafe(request, view, 'internal_error').assignment;
      }
    },

    describe(agentId) {
      const view = table.get(agentId);
      const age = stateAgeMs(freshness, now());
      const e = view?.experiment ?? null;
      return {
        agentId,
        liveVersionId: view?.liveVersionId ?? null,
        liveVersionSource: view?.liveSource ?? null,
        promotion: view?.promotion
          ? {
              versionId: view.promotion.versionId,
              previousVersionId: view.promotion.previousVersionId,
              promotedAt: new Date(view.promotion.promotedAtMs).toISOString(),
              experimentId: view.promotion.experimentId,
            }
          : null,
        experiment: e
          ? {
              experimentId: e.experimentId,
              version: e.version,
              status: e.status,
              mode: e.mode,
              assigning: e.assigning,
              problem: e.problem,
              baselineVersionId: e.baselineVersionId,
              candidateVersionId: e.candidateVersionId,
              salt: e.salt,
              split: {
                candidateBasisPoints: e.candidateBasisPoints,
                baselineBasisPoints: e.baselineBasisPoints,
                shadowSampleBasisPoints: e.shadowSampleBasisPoints,
              },
              ranges: {
                candidate: [0, e.mode === 'ab' ? e.candidateBasisPoints : 0],
                baseline: [BASELINE_START, BASELINE_START + (e.mode === 'ab' ? e.baselineBasisPoints : 0)],
                shadowSample: [0, e.mode === 'shadow' ? e.shadowSampleBasisPoints : 0],
              },
              changedAt: new Date(e.changedAtMs).toISOString(),
              startedAt: new Date(e.startedAtMs).toISOString(),
            }
          : null,
        stateAgeMs: Number.isFinite(age) ? age : null,
        maxStateAgeMs,
        ready: freshness.completeAsOfMs !== null,
        taggingAvailable: tags.available(),
      };
    },

    ready: () => freshness.completeAsOfMs !== null,
  };
}
