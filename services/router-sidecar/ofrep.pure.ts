import {
  type Assignment,
  type AssignRequest,
  MAX_ID_LENGTH,
  type OfrepFailure,
  type OfrepSuccess,
  ofrepRequestSchema,
} from '../../lib/router/schemas.ts';

/**
 * OpenFeature Remote Evaluation Protocol (OFREP) single-flag evaluation over the router's assignment
 * (docs/router.md, OpenFeature): the flag key is the agent, the context's targetingKey the unit, its runId the run.
 * The answer is /v1/assign's for the same request, in OFREP's words.
 */

export type OfrepParsed = { ok: true; request: AssignRequest } | { ok: false; status: 400; failure: OfrepFailure };

const invalid = (key: string, errorCode: OfrepFailure['errorCode'], errorDetails: string): OfrepParsed => ({
  ok: false,
  status: 400,
  failure: { key, errorCode, errorDetails },
});

export function parseOfrepRequest(key: string, body: string): OfrepParsed {
  if (key === '' || key.length > MAX_ID_LENGTH) {
    return invalid(key, 'GENERAL', `flag key: must be an agentId of 1 to ${MAX_ID_LENGTH} characters`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return invalid(key, 'PARSE_ERROR', 'body: is not valid JSON');
  }
  const parsed = ofrepRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return invalid(key, 'INVALID_CONTEXT', `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`);
  }
  const unit = parsed.data.context.targetingKey;
  return {
    ok: true,
    request: {
      agentId: key,
      runId: parsed.data.context.runId,
      unitId: unit === undefined || unit === '' ? null : unit,
    },
  };
}

/** The assignment as an OFREP answer; null when the router knows no version for the agent (FLAG_NOT_FOUND). */
export function toOfrep(key: string, a: Assignment): OfrepSuccess | null {
  if (a.versionId === null) return null;
  const metadata: OfrepSuccess['metadata'] = {};
  if (a.experimentId !== null) metadata.experimentId = a.experimentId;
  if (a.arm !== null) metadata.arm = a.arm;
  if (a.shadow !== null) metadata.shadowVersionId = a.shadow.versionId;
  return { key, value: a.versionId, reason: a.arm === null ? 'DEFAULT' : 'SPLIT', variant: a.arm ?? 'live', metadata };
}

export function flagNotFound(key: string): OfrepFailure {
  return { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `the router knows no version of agent ${key}` };
}
