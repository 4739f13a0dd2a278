import { sql } from 'kysely';
import { agentListQuery, agentListView, type AgentListView } from '../../lib/api/schemas.ts';
import type { ExperimentStatus, SessionStatus, SessionTrigger } from '../../lib/db/schema.ts';
import { activeStatuses } from '../../lib/experiments/status.pure.ts';
import { route } from './api.pure.ts';

/**
 * The agents list for the learning page's first screen: one page of agents (sorted, filtered by name or id and by
 * continuous mode, counted in full), each with its mode, open session, active experiment and last promotion. Paged in
 * SQL so that 10,000 agents cost one page's worth of work (docs/page.md).
 */

interface Row {
  id: string;
  name: string;
  live_version_id: string | null;
  created_at: Date;
  paused: boolean;
  paused_by: string | null;
  paused_at: Date | null;
  total: number;
  session_id: string | null;
  session_status: SessionStatus | null;
  session_trigger: SessionTrigger | null;
  experiment_id: string | null;
  experiment_status: ExperimentStatus | null;
  experiment_mode: 'ab' | 'shadow' | null;
  ramp_step_index: number | null;
  candidate_basis_points: number | null;
  decision_action: string | null;
}

const orderColumns = { id: sql`a.id`, name: sql`a.name`, createdAt: sql`a.created_at` } as const;

export const agentListRoutes = [
  route({
    operationId: 'listAgents',
    method: 'GET',
    path: '/api/agents',
    permission: 'read',
    summary: 'one page of agents with their continuous mode, open session, active experiment and last promotion',
    query: agentListQuery,
    responses: { 200: { description: 'the page and the number of agents that match', schema: agentListView } },
    async handle({ query, ctx }) {
      const pattern = query.q === undefined ? null : `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const direction = query.order === 'desc' ? sql`DESC` : sql`ASC`;
      const { rows } = await sql<Row>`
        WITH listed AS (
          SELECT a.id, a.name, a.live_version_id, a.created_at,
                 coalesce((p.policy->>'paused')::boolean, false) AS paused,
                 p.created_by AS paused_by, p.created_at AS paused_at
          FROM agents a
          LEFT JOIN LATERAL (
            SELECT policy, created_by, created_at FROM policies WHERE agent_id = a.id ORDER BY version DESC LIMIT 1
          ) p ON true
          WHERE (${pattern}::text IS NULL OR a.id ILIKE ${pattern} OR a.name ILIKE ${pattern})
        ), page AS (
          SELECT a.*, count(*) OVER () AS total FROM listed a
          WHERE (${query.mode ?? null}::text IS NULL OR a.paused = (${query.mode ?? null}::text = 'paused'))
          ORDER BY ${orderColumns[query.sort]} ${direction}, a.id ${direction}
          LIMIT ${query.limit} OFFSET ${query.offset}
        )
        SELECT page.*, s.id AS session_id, s.status AS session_status, s.trigger AS session_trigger,
               e.id AS experiment_id, e.status AS experiment_status, e.mode AS experiment_mode, e.ramp_step_index,
               (e.traffic_split->>'candidateBasisPoints')::int AS candidate_basis_points,
               e.decision->>'action' AS decision_action
        FROM page
        LEFT JOIN sessions s ON s.agent_id = page.id AND s.status NOT IN ('closed', 'failed')
        LEFT JOIN experiments e ON e.agent_id = page.id AND e.status = ANY(${[...activeStatuses]}::text[])
        ORDER BY ${sql.raw(`page.${query.sort === 'createdAt' ? 'created_at' : query.sort}`)} ${direction},
                 page.id ${direction}`.execute(ctx.db);
      const ids = rows.map((r) => r.id);
      const promotions = ids.length
        ? (
            await sql<{ agent_id: string; experiment_id: string; at: Date; auto: boolean; approver: string | null }>`
              SELECT DISTINCT ON (e.agent_id) e.agent_id, e.id AS experiment_id, coalesce(e.ended_at, e.updated_at) AS at,
                     coalesce(ap.auto_approved OR ap.decision = 'auto_approved', true) AS auto, ap.approver
              FROM experiments e
              LEFT JOIN LATERAL (
                SELECT auto_approved, decision, approver FROM approvals
                WHERE experiment_id = e.id AND decision IS NOT NULL ORDER BY decided_at DESC LIMIT 1
              ) ap ON true
              WHERE e.agent_id = ANY(${ids}::text[]) AND e.status = 'promoted'
              ORDER BY e.agent_id, e.ended_at DESC NULLS LAST`.execute(ctx.db)
          ).rows
        : [];
      const promotionOf = new Map(promotions.map((p) => [p.agent_id, p]));
      const body: AgentListView = {
        total: rows[0]?.total ?? 0,
        offset: query.offset,
        limit: query.limit,
        agents: rows.map((r) => {
          const promotion = promotionOf.get(r.id);
          return {
            id: r.id,
            name: r.name,
            liveVersionId: r.live_version_id,
            createdAt: r.created_at.toISOString(),
            continuousMode: r.paused ? 'paused' : 'on',
            paused: r.paused ? { by: r.paused_by ?? 'unknown', at: (r.paused_at ?? r.created_at).toISOString() } : null,
            openSession:
              r.session_id && r.session_status && r.session_trigger
                ? { id: r.session_id, status: r.session_status, trigger: r.session_trigger }
                : null,
            experiment:
              r.experiment_id && r.experiment_status && r.experiment_mode
                ? {
                    id: r.experiment_id,
                    status: r.experiment_status,
                    mode: r.experiment_mode,
                    rampStepIndex: r.ramp_step_index ?? 0,
                    candidateBasisPoints: r.candidate_basis_points ?? 0,
                    decision: r.decision_action,
                  }
                : null,
            lastPromotion: promotion
              ? {
                  experimentId: promotion.experiment_id,
                  at: promotion.at.toISOString(),
                  by: promotion.auto ? 'auto' : 'human',
                  approver: promotion.approver,
                }
              : null,
          };
        }),
      };
      return { status: 200, body };
    },
  }),
];
