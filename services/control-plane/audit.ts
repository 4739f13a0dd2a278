import { listAudit } from '../../lib/db/repositories/audit.ts';
import { route } from './api.pure.ts';
import { auditPageView, auditQuery } from '../../lib/api/schemas.ts';

export const auditRoutes = [
  route({
    operationId: 'listAudit',
    method: 'GET',
    path: '/api/audit',
    permission: 'read',
    summary: 'audit entries, newest first, optionally of one agent or subject; page with ?beforeId=<nextBeforeId>',
    query: auditQuery,
    responses: { 200: { description: 'one page', schema: auditPageView } },
    async handle({ query, ctx }) {
      const page = await listAudit(ctx.db, {
        ...(query.agentId === undefined ? {} : { agent_id: query.agentId }),
        ...(query.subjectType === undefined ? {} : { subject_type: query.subjectType }),
        ...(query.subjectId === undefined ? {} : { subject_id: query.subjectId }),
        ...(query.beforeId === undefined ? {} : { before_id: query.beforeId }),
        limit: query.limit,
      });
      const entries = page.entries.map((e) => ({
        id: e.id,
        at: e.at.toISOString(),
        actor: e.actor,
        action: e.action,
        agentId: e.agent_id,
        subjectType: e.subject_type,
        subjectId: e.subject_id,
        payload: e.payload,
        hash: e.hash,
      }));
      return { status: 200, body: { entries, nextBeforeId: page.next_before_id } };
    },
  }),
];
