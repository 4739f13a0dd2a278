import { verifyAuditChain } from '../../lib/audit/verify.ts';
import { listAudit } from '../../lib/db/repositories/audit.ts';
import { route } from './api.pure.ts';
import { auditPageView, auditVerificationView, auditQuery } from '../../lib/api/schemas.ts';

export const auditRoutes = [
  route({
    operationId: 'listAudit',
    method: 'GET',
    path: '/api/audit',
    permission: 'read',
    summary:
      'audit entries, newest first, optionally of one agent, subject, actor or action (a prefix ending in a dot); page with ?beforeId=<nextBeforeId>',
    query: auditQuery,
    responses: { 200: { description: 'one page', schema: auditPageView } },
    async handle({ query, ctx }) {
      const page = await listAudit(ctx.db, {
        ...(query.agentId === undefined ? {} : { agent_id: query.agentId }),
        ...(query.subjectType === undefined ? {} : { subject_type: query.subjectType }),
        ...(query.subjectId === undefined ? {} : { subject_id: query.subjectId }),
        ...(query.actor === undefined ? {} : { actor: query.actor }),
        ...(query.action === undefined ? {} : { action: query.action }),
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
  route({
    operationId: 'verifyAudit',
    method: 'GET',
    path: '/api/audit/verification',
    permission: 'read',
    summary: 'recompute the audit chain from its first entry (reads the whole log): intact, or the first broken entry',
    responses: { 200: { description: 'the verification', schema: auditVerificationView } },
    async handle({ ctx }) {
      const result = await verifyAuditChain(ctx.db);
      return {
        status: 200,
        body: result.ok
          ? { ok: true, rows: result.rows }
          : { ok: false, rows: result.rows, firstBrokenId: result.firstBrokenId, reason: result.reason },
      };
    },
  }),
];
