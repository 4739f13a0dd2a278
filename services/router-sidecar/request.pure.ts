import { timingSafeEqual } from 'node:crypto';
import { type AssignRequest, assignRequestSchema } from '../../lib/router/schemas.ts';

/**
 * The request boundary shared by HTTP and gRPC: the assign request's rules (lib/router/schemas.ts), the bearer token check. A bad
 * request is a value naming the field, never an exception.
 */

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
