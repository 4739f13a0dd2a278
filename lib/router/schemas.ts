import { z } from 'zod';

/**
 * The router's API in zod: the request the router checks, the answers it gives. One source for the router-sidecar
 * (which parses requests with it and generates its OpenAPI document from it) and for learnloop/client (which checks
 * the answers with it). docs/router.md describes the API.
 */

/** Ids are opaque strings; the bound keeps a hostile caller from making the router hash megabytes. */
export const MAX_ID_LENGTH = 512;

const id = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(1, 'must not be empty')
  .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`);

export const assignRequestSchema = z
  .object({
    agentId: id.meta({ description: 'The agent.' }),
    runId: id.meta({ description: 'The run to assign; the unit too when unitId is absent.' }),
    /** Absent, null or "" all mean "no unit": the run itself is the unit. */
    unitId: z
      .string({ error: 'must be a string or null' })
      .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
      .nullable()
      .optional()
      .transform((v) => (v === undefined || v === '' ? null : v))
      .meta({ description: 'The stickiness unit (user, conversation). Absent, null or "": the run is the unit.' }),
  })
  .meta({ id: 'AssignRequest' });

/** One run the runtime asks about, as the router holds it once checked. */
export type AssignRequest = z.output<typeof assignRequestSchema>;

export const shadowSchema = z
  .object({
    versionId: z.string().min(1),
    experimentId: z.string().min(1),
  })
  .meta({
    id: 'Shadow',
    description:
      'Also run this version on the same input, without serving its output; report it with arm "shadow" and the same runId.',
  });

export const assignmentSchema = z
  .object({
    agentId: z.string(),
    runId: z.string(),
    versionId: z
      .string()
      .nullable()
      .meta({ description: 'The version to serve. null: the router knows no version for this agent; serve your own.' }),
    experimentId: z
      .string()
      .nullable()
      .meta({ description: "Set when the run is enrolled: copy it onto the run's completed and evaluated events." }),
    arm: z
      .enum(['baseline', 'candidate'])
      .nullable()
      .meta({ description: "Set when the run is enrolled: copy it onto the run's events." }),
    shadow: shadowSchema.nullable(),
  })
  .meta({ id: 'Assignment', description: 'Which version serves the run, and its experiment and arm if enrolled.' });

/** The answer to an assign request, on HTTP and gRPC alike. */
export type Assignment = z.infer<typeof assignmentSchema>;

const range = z.tuple([z.number(), z.number()]);

export const agentDescriptionSchema = z
  .object({
    agentId: z.string(),
    liveVersionId: z.string().nullable(),
    liveVersionSource: z.enum(['promotion', 'experiment']).nullable(),
    promotion: z
      .object({
        versionId: z.string(),
        previousVersionId: z.string().nullable(),
        promotedAt: z.string().meta({ description: 'ISO 8601' }),
        experimentId: z.string().nullable(),
      })
      .nullable()
      .meta({ description: 'The newest promotion read for the agent.' }),
    experiment: z
      .object({
        experimentId: z.string(),
        version: z.number(),
        status: z.string(),
        mode: z.string(),
        assigning: z.boolean(),
        problem: z.string().nullable(),
        baselineVersionId: z.string().nullable(),
        candidateVersionId: z.string().nullable(),
        salt: z.string(),
        split: z.object({
          candidateBasisPoints: z.number(),
          baselineBasisPoints: z.number(),
          shadowSampleBasisPoints: z.number(),
        }),
        ranges: z
          .object({ candidate: range, baseline: range, shadowSample: range })
          .meta({ description: 'The bucket ranges, half-open [start, end).' }),
        changedAt: z.string(),
        startedAt: z.string(),
      })
      .nullable()
      .meta({ description: 'The newest experiment state held.' }),
    stateAgeMs: z.number().nullable().meta({
      description: 'Milliseconds since the router last confirmed it had read every state; null before the first time.',
    }),
    maxStateAgeMs: z.number(),
    ready: z.boolean(),
    taggingAvailable: z.boolean(),
  })
  .meta({ id: 'AgentDescription', description: 'What the router currently believes about an agent.' });

/** What GET /v1/agents/{agentId} shows. */
export type AgentDescription = z.infer<typeof agentDescriptionSchema>;

export const errorSchema = z
  .object({
    error: z.string().meta({ description: 'What is wrong, e.g. "runId: is required".' }),
    field: z.string().optional().meta({ description: 'The offending field (agentId, runId, unitId), or "body".' }),
  })
  .meta({ id: 'Error' });

/**
 * OpenFeature Remote Evaluation Protocol (OFREP), single-flag evaluation: the flag key is the agent, the evaluation
 * context's targetingKey the unit, and its `runId` the run (docs/router.md, OpenFeature).
 */
export const ofrepRequestSchema = z
  .object({
    context: z
      .object({
        targetingKey: z
          .string()
          .max(MAX_ID_LENGTH)
          .optional()
          .meta({ description: 'The stickiness unit (user, conversation); absent: the run is the unit.' }),
        runId: id.meta({ description: 'The run to assign, as for /v1/assign.' }),
      })
      .catchall(z.unknown()),
  })
  .meta({ id: 'OfrepEvaluationRequest' });

export const ofrepSuccessSchema = z
  .object({
    key: z.string().meta({ description: 'The flag key: the agentId.' }),
    value: z.string().meta({ description: 'The version to serve.' }),
    reason: z.enum(['SPLIT', 'DEFAULT', 'ERROR']),
    variant: z
      .enum(['baseline', 'candidate', 'live'])
      .meta({ description: 'The arm; "live" when the run is not enrolled.' }),
    metadata: z
      .object({
        experimentId: z.string().optional(),
        arm: z.string().optional(),
        shadowVersionId: z.string().optional(),
      })
      .meta({ description: "The experiment and arm to copy onto the run's events, when enrolled." }),
  })
  .meta({ id: 'OfrepEvaluationSuccess' });

export const ofrepErrorCodes = [
  'PARSE_ERROR',
  'TARGETING_KEY_MISSING',
  'INVALID_CONTEXT',
  'GENERAL',
  'FLAG_NOT_FOUND',
] as const;

export const ofrepFailureSchema = z
  .object({
    key: z.string(),
    errorCode: z.enum(ofrepErrorCodes),
    errorDetails: z.string().optional(),
  })
  .meta({ id: 'OfrepEvaluationFailure' });

export type OfrepSuccess = z.infer<typeof ofrepSuccessSchema>;
export type OfrepFailure = z.infer<typeof ofrepFailureSchema>;
