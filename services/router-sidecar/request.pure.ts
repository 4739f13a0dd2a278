import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AssignRequest } from './decide.pure.ts';

/**
 * The request boundary shared by HTTP and gRPC: the assign request's rules (zod), the bearer token check. A bad
 * request is a value naming the field, never an exception.
 */

/** Ids are opaque strings; the bound keeps a hostile caller from making the router hash megabytes. */
export const MAX_ID_LENGTH = 512;

const id = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .min(1, 'must not be empty')
  .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`);

export const assignRequestSchema = z.object({
  agentId: id,
  runId: id,
  /** Absent, null or "" all mean "no unit": the run itself is the unit. */
  unitId: z
    .string({ error: 'must be a string or null' })
    .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
    .nullable()
    .optional()
    .transform((v) => (v === undefined || v === '' ? null : v)),
});

export type RequestProblem = { field: string; message: string };
export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: RequestProblem };

export function parseAssignRequest(input: unknown): Parsed<AssignRequest> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, problem: { field: 'body', message: 'must be a JSON object' } };
  }
  const parsed = assignRequestSchema.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.') || 'body';
  return { ok: false, problem: { field, message: `${field}: ${issue.message}` } };
}

/** Parses a request body: malformed JSON is a problem with the body. */
export function parseAssignBody(body: string): Parsed<AssignRequest> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, problem: { field: 'body', message: 'body: is not valid JSON' } };
  }
  return parseAssignRequest(json);
}

/**
 * A check of `Authorization: Bearer <token>` (HTTP header or gRPC metadata). No token configured: everything passes.
 * Compared in constant time, so that the response time does not reveal how much of a guess was right.
 */
export function bearerCheck(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = Buffer.from(`Bearer ${token}`, 'utf8');
  return (authorization) => {
    if (authorization === undefined) return false;
    const given = Buffer.from(authorization, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}
