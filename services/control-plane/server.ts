import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken } from '../../lib/auth/tokens.ts';
import { fieldIssues } from '../../lib/field-issues.ts';
import { findActiveToken } from '../../lib/db/repositories/tokens.ts';
import { readBody, sendJson, type RouteHandler } from '../../lib/http.ts';
import { ApiError, invalid, type Actor, type ApiContext, type Reply, type Route } from './api.pure.ts';
import type { ControlPlaneMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.pure.ts';
import { matchPath } from './paths.pure.ts';
import { allows, rolesAllowed } from './roles.pure.ts';

export interface ApiServerOptions {
  routes: readonly Route[];
  ctx: ApiContext;
  metrics: ControlPlaneMetrics;
  maxBodyBytes: number;
}

const bodyText = (req: IncomingMessage, limit: number) =>
  new Promise<string>((resolve, reject) =>
    readBody(req, limit, (body) =>
      body.ok ? resolve(body.text) : reject(new ApiError(400, body.error, { field: 'body' })),
    ),
  );

/**
 * What JSON allows and the API must refuse, as the first offending field: U+0000 in any string (Postgres text and
 * jsonb cannot hold it) and a `__proto__` key (an object built from it would silently lose it).
 */
function unstorable(value: unknown, path: string): { field: string; message: string } | null {
  if (typeof value === 'string')
    return value.includes('\u0000') ? { field: path, message: 'must not contain the character U+0000' } : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorable(value[i], `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const field = path === '' ? key : `${path}.${key}`;
      if (key === '__proto__') return { field, message: 'is not a known field' };
      if (key.includes('\u0000'))
        return { field: path || 'body', message: 'a key must not contain the character U+0000' };
      const found = unstorable(item, field);
      if (found) return found;
    }
  }
  return null;
}

function errorBody(err: ApiError): object {
  return {
    error: err.message,
    ...(err.field === undefined ? {} : { field: err.field }),
    ...(err.problems ? { problems: err.problems } : {}),
  };
}

/** The caller, from `Authorization: Bearer <token>`; `X-Learnloop-Client: cli` marks the CLI's requests. */
async function authenticate(req: IncomingMessage, ctx: ApiContext): Promise<Actor> {
  const token = bearerToken(req.headers.authorization);
  if (token === null) throw new ApiError(401, 'authorization: a bearer token is required', { field: 'authorization' });
  const actor = await actorOfToken(ctx, token, req.headers['x-learnloop-client'] === 'cli' ? 'cli' : 'api');
  if (!actor) throw new ApiError(401, 'authorization: unknown or revoked token', { field: 'authorization' });
  return actor;
}

function parseQuery(route: Route, url: URL): unknown {
  const raw: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (Object.hasOwn(raw, key)) throw invalid([{ field: key, message: 'is given more than once' }]);
    const problem = unstorable(value, key);
    if (problem) throw invalid([problem]);
    raw[key] = value;
  }
  if (!route.query) {
    const extra = Object.keys(raw)[0];
    if (extra !== undefined) throw invalid([{ field: extra, message: 'is not a known query parameter' }]);
    return undefined;
  }
  const parsed = route.query.safeParse(raw);
  if (!parsed.success) throw invalid(fieldIssues(parsed.error, 'query'));
  return parsed.data;
}

async function parseBody(route: Route, req: IncomingMessage, limit: number): Promise<unknown> {
  if (!route.body) {
    req.resume();
    return undefined;
  }
  // Parsed as JSON whatever the content-type says: curl -d sends form-urlencoded unless told otherwise.
  const text = await bodyText(req, limit);
  let json: unknown;
  try {
    json = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `body: is not valid JSON (${err instanceof Error ? err.message : String(err)})`, {
      field: 'body',
    });
  }
  return checkBody(route, json);
}

function checkBody(route: Route, json: unknown): unknown {
  if (!route.body) return undefined;
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new ApiError(400, 'body: must be a JSON object', { field: 'body' });
  const problem = unstorable(json, '');
  if (problem) throw invalid([problem]);
  const parsed = route.body.safeParse(json);
  if (!parsed.success) throw invalid(fieldIssues(parsed.error, 'body'));
  return parsed.data;
}

class MethodNotAllowed extends ApiError {
  readonly allow: string;
  constructor(method: string, path: string, allow: string) {
    super(405, `${method} ${path}: use ${allow}`);
    this.allow = allow;
  }
}

/** The route a request is for, with its path parameters; refusals: 404, 405, 400 (a bad path segment). */
function resolveRoute(
  routes: readonly Route[],
  method: string,
  url: URL,
): { route: Route; params: Record<string, string> } {
  const candidates = routes
    .map((r) => ({ route: r, match: matchPath(r.pattern, url.pathname) }))
    .filter((c) => c.match.ok || c.match.reason === 'bad_segment');
  if (candidates.length === 0) throw new ApiError(404, `no route for ${method} ${url.pathname}`);
  const chosen = candidates.find((c) => c.route.method === method);
  if (!chosen)
    throw new MethodNotAllowed(method, url.pathname, [...new Set(candidates.map((c) => c.route.method))].join(', '));
  const { route, match } = chosen;
  if (!match.ok)
    throw new ApiError(
      400,
      `${'param' in match ? match.param : 'path'}: must be one non-empty, percent-encoded path segment`,
      { field: 'param' in match ? match.param : 'path' },
    );
  for (const [param, value] of Object.entries(match.params)) {
    const problem = unstorable(value, param);
    if (problem) throw invalid([problem]);
  }
  return { route, params: match.params };
}

function authorise(actor: Actor, route: Route, method: string): void {
  if (!allows(actor.role, route.permission))
    throw new ApiError(
      403,
      `role ${actor.role} may not ${method} ${route.path} (allowed: ${rolesAllowed(route.permission).join(', ')})`,
    );
}

function errorReply(err: ApiError): Reply {
  return { status: err.status, body: errorBody(err) };
}

/** A call of the API from inside the control plane (the learning page), as `actor`, with the same checks and answers. */
export type ApiCall = (actor: Actor, method: Route['method'], pathAndQuery: string, body?: unknown) => Promise<Reply>;

export function apiCaller(routes: readonly Route[], ctx: ApiContext): ApiCall {
  return async (actor, method, pathAndQuery, body) => {
    const url = new URL(pathAndQuery, 'http://localhost');
    try {
      const { route, params } = resolveRoute(routes, method, url);
      authorise(actor, route, method);
      const query = parseQuery(route, url);
      return await route.handle({ params, query, body: checkBody(route, body ?? {}), actor, ctx });
    } catch (err) {
      if (err instanceof ApiError) return errorReply(err);
      throw err;
    }
  };
}

/** The holder of a token, or null when it is unknown or revoked. */
export async function actorOfToken(ctx: ApiContext, token: string, source: Actor['source']): Promise<Actor | null> {
  const row = await findActiveToken(ctx.db, token);
  return row ? { tokenId: row.id, name: row.name, role: row.role, source } : null;
}

/**
 * The API as lib/http.ts routes: /openapi.json (public) and /api/* (bearer token). Order of refusal: no route (404),
 * wrong method (405), bad path segment (400), no or bad token (401), role (403), query and body (400); then the
 * handler, whose refusals (404, 409, ...) roll its transaction back.
 */
export function apiRoutes(options: ApiServerOptions): RouteHandler {
  const { routes, ctx, metrics } = options;
  const openApi = JSON.stringify(openApiDocument(routes));

  async function serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const started = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    let template = 'unmatched';
    let reply: Reply;
    try {
      let resolved: ReturnType<typeof resolveRoute>;
      try {
        resolved = resolveRoute(routes, method, url);
      } catch (err) {
        req.resume();
        if (err instanceof MethodNotAllowed) res.setHeader('allow', err.allow);
        throw err;
      }
      const { route, params } = resolved;
      template = route.path;
      const actor = await authenticate(req, ctx);
      authorise(actor, route, method);
      const query = parseQuery(route, url);
      const body = await parseBody(route, req, options.maxBodyBytes);
      reply = await route.handle({ params, query, body, actor, ctx });
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.status === 401) res.setHeader('www-authenticate', 'Bearer');
        // A body refused unread (too large) is not drained: close rather than leave it half-read on a kept-alive socket.
        if (err.field === 'body' && !req.complete) res.setHeader('connection', 'close');
        reply = errorReply(err);
      } else {
        ctx.logger.error('api request failed', { err, route: template, method });
        reply = { status: 500, body: { error: 'internal error' } };
      }
    } finally {
      metrics.duration.observe({ route: template, method }, Number(process.hrtime.bigint() - started) / 1e9);
    }
    metrics.requests.inc({ route: template, method, status: String(reply.status) });
    sendJson(res, reply.status, reply.body);
  }

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/openapi.json' && req.method === 'GET') {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(openApi),
      });
      res.end(openApi);
      return true;
    }
    if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
    return serve(req, res, url).then(() => true);
  };
}
