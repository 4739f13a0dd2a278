import { z } from 'zod';
import {
  agentDescriptionSchema,
  assignmentSchema,
  assignRequestSchema,
  errorSchema,
  MAX_ID_LENGTH,
  ofrepFailureSchema,
  ofrepRequestSchema,
  ofrepSuccessSchema,
  shadowSchema,
} from '../../lib/router/schemas.ts';

/**
 * The HTTP API as OpenAPI 3.1, served at GET /openapi.json: its schemas generated from the zod schemas the router
 * parses requests with (lib/router/schemas.ts), so that the document cannot drift from the code. The gRPC twin is
 * schemas/router.proto.
 */

const named = [
  assignRequestSchema,
  assignmentSchema,
  shadowSchema,
  agentDescriptionSchema,
  errorSchema,
  ofrepRequestSchema,
  ofrepSuccessSchema,
  ofrepFailureSchema,
];

function componentSchemas(): Record<string, object> {
  const registry = z.registry<{ id: string }>();
  for (const schema of named) {
    const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
    if (id === undefined) throw new Error('every schema of the router API has an id');
    registry.add(schema, { id });
  }
  const { schemas } = z.toJSONSchema(registry, { io: 'input', uri: (id) => `#/components/schemas/${id}` });
  // A component is a schema, not a document: the JSON Schema dialect and the $id are the OpenAPI document's.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _dialect, $id: _id, ...schema }]) => [id, schema]),
  );
}

const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const errorResponse = (description: string) => ({ description, content: json('Error') });
const ofrepFailure = (description: string) => ({ description, content: json('OfrepEvaluationFailure') });
const agentIdParameter = (description: string) => ({
  name: 'agentId',
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH },
});

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'learnloop router-sidecar',
    version: '1.0.0',
    description:
      'Which agent version serves a run. Deterministic and sticky per unit; when in any doubt the live version, untagged. ' +
      'The algorithm, the fail-safe rules and the test vectors: docs/router.md.',
  },
  servers: [{ url: 'http://127.0.0.1:7070' }],
  security: [{}, { bearer: [] }],
  paths: {
    '/v1/assign': {
      post: {
        operationId: 'assign',
        summary: 'Assign a run: the version to serve, and its experiment arm and shadow if it is enrolled.',
        requestBody: { required: true, content: json('AssignRequest') },
        responses: {
          '200': { description: 'The assignment.', content: json('Assignment') },
          '400': errorResponse(
            'Malformed JSON, a missing or invalid field (named in `field`), or a body over the size limit.',
          ),
          '401': errorResponse(
            'LEARNLOOP_ROUTER_TOKEN is set and the request has no matching `Authorization: Bearer` header.',
          ),
          '405': errorResponse('Another method than POST.'),
        },
      },
    },
    '/ofrep/v1/evaluate/flags/{agentId}': {
      post: {
        operationId: 'evaluateFlag',
        summary: 'OpenFeature Remote Evaluation Protocol: the assignment of /v1/assign, the agent as the flag key.',
        parameters: [agentIdParameter('The flag key: the agent.')],
        requestBody: { required: true, content: json('OfrepEvaluationRequest') },
        responses: {
          '200': { description: 'The version to serve, the arm as variant.', content: json('OfrepEvaluationSuccess') },
          '400': ofrepFailure('INVALID_CONTEXT (the field named), PARSE_ERROR, or GENERAL for a bad flag key.'),
          '401': errorResponse('Missing or wrong bearer token.'),
          '404': ofrepFailure('FLAG_NOT_FOUND: the router knows no version of this agent.'),
        },
      },
    },
    '/v1/agents/{agentId}': {
      get: {
        operationId: 'describeAgent',
        summary: 'What the router currently believes about an agent: live version, experiment, split, state age.',
        parameters: [agentIdParameter('The agent, percent-encoded as one path segment.')],
        responses: {
          '200': {
            description: 'The agent as the router sees it (nulls for an agent it knows nothing of).',
            content: json('AgentDescription'),
          },
          '400': errorResponse('The agentId is not one non-empty, percent-encoded path segment.'),
          '401': errorResponse('Missing or wrong bearer token.'),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document.',
        security: [{}],
        responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: {} } } } },
      },
    },
    '/healthz': {
      get: {
        operationId: 'healthz',
        summary: 'The process is alive.',
        security: [{}],
        responses: { '200': { description: 'alive' } },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readyz',
        summary: 'Ready once the experiment state and promotions have been read to the end of their topics.',
        security: [{}],
        responses: { '200': { description: 'ready' }, '503': { description: 'not ready, with the checks that fail' } },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics.',
        security: [{}],
        responses: { '200': { description: 'text format' } },
      },
    },
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'Required only when LEARNLOOP_ROUTER_TOKEN is set.' },
    },
    schemas: componentSchemas(),
  },
};
