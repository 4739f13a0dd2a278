import { MAX_ID_LENGTH } from '../../lib/router/schemas.ts';

/** The HTTP API as OpenAPI 3.1, served at GET /openapi.json. The gRPC twin is schemas/router.proto. */

const id = { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH };
const nullableId = { type: ['string', 'null'], minLength: 1, maxLength: MAX_ID_LENGTH };
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
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
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/AssignRequest' } } },
        },
        responses: {
          '200': {
            description: 'The assignment.',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Assignment' } } },
          },
          '400': errorResponse(
            'Malformed JSON, a missing or invalid field (named in `field`), or a body over the size limit.',
          ),
          '401': errorResponse(
            'LEARNLOOP_ROUTER_TOKEN is set and the request has no matching `Authorization: Bearer` header.',
          ),
        },
      },
    },
    '/v1/agents/{agentId}': {
      get: {
        operationId: 'describeAgent',
        summary: 'What the router currently believes about an agent: live version, experiment, split, state age.',
        parameters: [{ name: 'agentId', in: 'path', required: true, schema: id }],
        responses: {
          '200': {
            description: 'The agent as the router sees it (nulls for an agent it knows nothing of).',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/AgentDescription' } } },
          },
          '401': errorResponse('Missing or wrong bearer token.'),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document.',
        security: [{}],
        responses: { '200': { description: 'OpenAPI 3.1' } },
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
    schemas: {
      AssignRequest: {
        type: 'object',
        required: ['agentId', 'runId'],
        properties: {
          agentId: id,
          runId: id,
          unitId: {
            ...nullableId,
            minLength: 0,
            description: 'The stickiness unit (user, conversation). Absent, null or "": the run is the unit.',
          },
        },
      },
      Assignment: {
        type: 'object',
        required: ['agentId', 'runId', 'versionId', 'experimentId', 'arm', 'shadow'],
        properties: {
          agentId: id,
          runId: id,
          versionId: {
            type: ['string', 'null'],
            description:
              'The version to serve. null: the router knows no version for this agent; serve your own default.',
          },
          experimentId: {
            type: ['string', 'null'],
            description: "Set when the run is enrolled: copy it onto the run's completed and evaluated events.",
          },
          arm: {
            enum: ['baseline', 'candidate', null],
            description: "Set when the run is enrolled: copy it onto the run's events.",
          },
          shadow: {
            oneOf: [{ type: 'null' }, { $ref: '#/components/schemas/Shadow' }],
            description:
              'Also run this version on the same input, without serving its output; report it with arm "shadow" and the same runId.',
          },
        },
      },
      Shadow: {
        type: 'object',
        required: ['versionId', 'experimentId'],
        properties: { versionId: { type: 'string' }, experimentId: { type: 'string' } },
      },
      AgentDescription: {
        type: 'object',
        properties: {
          agentId: { type: 'string' },
          liveVersionId: { type: ['string', 'null'] },
          liveVersionSource: { enum: ['promotion', 'experiment', null] },
          promotion: { type: ['object', 'null'] },
          experiment: {
            type: ['object', 'null'],
            description:
              'The newest experiment state held: id, version, status, mode, arms, salt, split, bucket ranges.',
          },
          stateAgeMs: {
            type: ['number', 'null'],
            description: 'Time since the router last confirmed it had read every state published.',
          },
          maxStateAgeMs: { type: 'number' },
          ready: { type: 'boolean' },
          taggingAvailable: { type: 'boolean' },
        },
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: { type: 'string', description: 'What is wrong, e.g. "runId: is required".' },
          field: { type: 'string', description: 'The offending field (agentId, runId, unitId), or "body".' },
        },
      },
    },
  },
} as const;
