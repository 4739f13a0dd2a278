import { z } from 'zod';
import type { Route } from './api.pure.ts';
import { rolesAllowed } from './roles.pure.ts';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'string', description: 'what was wrong, starting with the field it concerns' },
    field: { type: 'string', description: 'the field (or path parameter, query parameter, body) at fault' },
    problems: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any' });

/** The OpenAPI 3.1 document of the routes, from the same zod schemas that validate requests. */
export function openApiDocument(routes: readonly Route[]): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: object[] = r.pattern.segments
      .filter((s): s is { param: string } => 'param' in s)
      .map((s) => ({ name: s.param, in: 'path', required: true, schema: { type: 'string', minLength: 1 } }));
    if (r.query instanceof z.ZodObject) {
      const shape = jsonSchema(r.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(shape.properties ?? {})) {
        parameters.push({ name, in: 'query', required: shape.required?.includes(name) ?? false, schema });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, answer] of Object.entries(r.responses)) {
      responses[status] = {
        description: answer.description,
        ...(answer.schema ? { content: { 'application/json': { schema: jsonSchema(answer.schema, 'output') } } } : {}),
      };
    }
    const error = (description: string) => ({
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    });
    responses['400'] = error('malformed JSON, an unknown or invalid field, or a body over the size limit');
    responses['401'] = error('missing, unknown or revoked token');
    responses['403'] = error(`the token's role may not do this (allowed: ${rolesAllowed(r.permission).join(', ')})`);
    if (parameters.some((p) => (p as { in: string }).in === 'path'))
      responses['404'] = error('no such agent, version, approval or token');
    if (r.method !== 'GET') responses['409'] = error('the current state does not allow it (see the message)');
    paths[r.path] ??= {};
    paths[r.path]![r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      'x-learnloop-roles': rolesAllowed(r.permission),
      parameters,
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'learnloop control plane',
      version: '1',
      description:
        'Policies, pause, experiments, approvals and the audit log. Every /api route needs `Authorization: Bearer <token>`.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { Error: errorSchema } },
    security: [{ bearer: [] }],
    paths,
  };
}
