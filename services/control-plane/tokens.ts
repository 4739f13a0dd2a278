import { createToken, listTokens, revokeToken } from '../../lib/db/repositories/tokens.ts';
import type { ApiToken } from '../../lib/db/schema.ts';
import { notFound, route } from './api.pure.ts';
import { createdTokenView, createTokenBody, tokenView, type TokenView } from '../../lib/api/schemas.ts';

function tokenOf(row: ApiToken): TokenView {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

export const tokenRoutes = [
  route({
    operationId: 'listTokens',
    method: 'GET',
    path: '/api/tokens',
    permission: 'tokens.manage',
    summary: 'API tokens (never their secrets)',
    responses: { 200: { description: 'the tokens', schema: tokenView.array() } },
    async handle({ ctx }) {
      return { status: 200, body: (await listTokens(ctx.db)).map(tokenOf) };
    },
  }),
  route({
    operationId: 'createToken',
    method: 'POST',
    path: '/api/tokens',
    permission: 'tokens.manage',
    summary: 'create a token; its secret is in this answer and nowhere else',
    body: createTokenBody,
    responses: { 201: { description: 'the token, with its secret', schema: createdTokenView } },
    async handle({ body, actor, ctx }) {
      return ctx.transact(async (work) => {
        const { token, row } = await createToken(work.trx, {
          name: body.name,
          role: body.role,
          created_by: actor.name,
        });
        work.audit(actor, {
          action: 'token.created',
          agentId: null,
          subjectType: 'token',
          subjectId: row.id,
          payload: { name: row.name, role: row.role },
        });
        return { status: 201, body: { ...tokenOf(row), token } };
      });
    },
  }),
  route({
    operationId: 'revokeToken',
    method: 'DELETE',
    path: '/api/tokens/{tokenId}',
    permission: 'tokens.manage',
    summary: 'revoke a token (at once: the next request with it gets 401); revoking it again changes nothing',
    responses: { 200: { description: 'the revoked token', schema: tokenView } },
    async handle({ params, actor, ctx }) {
      return ctx.transact(async (work) => {
        const result = await revokeToken(work.trx, params['tokenId']!);
        if (!result) throw notFound('tokenId', 'token', params['tokenId']!);
        const { token } = result;
        if (result.revoked)
          work.audit(actor, {
            action: 'token.revoked',
            agentId: null,
            subjectType: 'token',
            subjectId: token.id,
            payload: { name: token.name, role: token.role },
          });
        return { status: 200, body: tokenOf(token) };
      });
    },
  }),
];
