import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Database, TokenRole } from '../../lib/db/schema.ts';
import type { Logger } from '../../lib/logging.ts';
import type { FieldIssue } from '../../lib/field-issues.ts';
import { compilePath, type PathPattern } from './paths.pure.ts';
import type { Permission } from './roles.pure.ts';
import type { Work } from './writes.ts';

/**
 * The control plane's API as data: each route names its method, path, permission and the zod schemas of its query
 * and body; the server (server.ts) authenticates, authorises and validates before a handler runs, and the OpenAPI
 * document (openapi.ts) is generated from the same schemas.
 */

/** Who is calling: the token's holder, its role, and whether the call came through the CLI. */
export interface Actor {
  tokenId: string;
  name: string;
  role: TokenRole;
  source: 'api' | 'cli' | 'page';
}

export interface ApiContext {
  db: Kysely<Database>;
  /** Runs a request's writes in one transaction (writes.ts): its events reach the outbox, its audit entries the chain. */
  transact<T>(work: (w: Work) => Promise<T>): Promise<T>;
  now(): Date;
  logger: Logger;
}

export interface ApiRequest<Q, B> {
  params: Record<string, string>;
  query: Q;
  body: B;
  actor: Actor;
  ctx: ApiContext;
}

export interface Reply {
  status: number;
  body: unknown;
}

/** A refusal with its HTTP status; thrown inside a handler's transaction, it also rolls back everything written. */
export class ApiError extends Error {
  readonly status: number;
  readonly field: string | undefined;
  readonly problems: readonly FieldIssue[] | undefined;
  constructor(status: number, message: string, options: { field?: string; problems?: readonly FieldIssue[] } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.field = options.field;
    this.problems = options.problems;
  }
}

export function notFound(field: string, what: string, id: string): ApiError {
  return new ApiError(404, `${field}: no ${what} ${JSON.stringify(id)}`, { field });
}

export function conflict(message: string, field?: string): ApiError {
  return new ApiError(409, message, field === undefined ? {} : { field });
}

/** A request refused for its content, each problem named by its field. */
export function invalid(problems: readonly FieldIssue[]): ApiError {
  const first = problems[0]!;
  return new ApiError(400, `${first.field}: ${first.message}`, { field: first.field, problems });
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface Route {
  /** The OpenAPI operationId: unique, a verb and the thing. */
  operationId: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  pattern: PathPattern;
  permission: Permission;
  summary: string;
  query: z.ZodType | undefined;
  body: z.ZodType | undefined;
  /** The success answers, for the OpenAPI document: status → (description, schema). */
  responses: Readonly<Record<number, { description: string; schema?: z.ZodType }>>;
  handle(request: ApiRequest<unknown, unknown>): Promise<Reply>;
}

export function route<Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(spec: {
  operationId: string;
  method: Route['method'];
  path: string;
  permission: Permission;
  summary: string;
  query?: Q;
  body?: B;
  responses: Route['responses'];
  handle(request: ApiRequest<Parsed<Q>, Parsed<B>>): Promise<Reply>;
}): Route {
  return {
    operationId: spec.operationId,
    method: spec.method,
    path: spec.path,
    pattern: compilePath(spec.path),
    permission: spec.permission,
    summary: spec.summary,
    query: spec.query,
    body: spec.body,
    responses: spec.responses,
    handle: spec.handle as Route['handle'],
  };
}
