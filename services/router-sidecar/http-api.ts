import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, type RouteHandler } from '../../lib/http.ts';
import type { RouterCore } from './assigner.ts';
import type { RouterMetrics } from './metrics.ts';
import { flagNotFound, parseOfrepRequest, toOfrep } from './ofrep.pure.ts';
import { openApiDocument } from './openapi.pure.ts';
import { bearerCheck, parseAssignBody } from './request.pure.ts';

/**
 * The HTTP API, as routes for lib/http.ts's server (which answers /metrics, /healthz and /readyz before these):
 * POST /v1/assign, POST /ofrep/v1/evaluate/flags/{key}, GET /v1/agents/{agentId}, GET /openapi.json.
 */

export interface HttpApiOptions {
  core: RouterCore;
  metrics: RouterMetrics;
  token: string | undefined;
  maxBodyBytes: number;
}

const OFREP_PREFIX = '/ofrep/v1/evaluate/flags/';
const openApiBody = JSON.stringify(openApiDocument);

function send(res: ServerResponse, status: number, payload: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...extra,
  });
  res.end(payload);
}

export function httpApiRoutes(options: HttpApiOptions): RouteHandler {
  const { core, metrics } = options;
  const authorized = bearerCheck(options.token);
  const errors = metrics.requestErrors.http;

  const unauthorized = (res: ServerResponse) => {
    errors.unauthorized.inc();
    send(res, 401, JSON.stringify({ error: 'missing or wrong bearer token' }), { 'www-authenticate': 'Bearer' });
  };

  function assign(req: IncomingMessage, res: ServerResponse): void {
    if (!authorized(req.headers.authorization)) {
      req.resume();
      unauthorized(res);
      return;
    }
    readBody(req, options.maxBodyBytes, (body) => {
      if (!body.ok) {
        errors.bad_request.inc();
        // The rest of an oversized body is not read: close the connection rather than leave it half-read.
        send(res, 400, JSON.stringify({ error: body.error, field: 'body' }), { connection: 'close' });
        return;
      }
      const parsed = parseAssignBody(body.text);
      if (!parsed.ok) {
        errors.bad_request.inc();
        send(res, 400, JSON.stringify({ error: parsed.problem.message, field: parsed.problem.field }));
        return;
      }
      send(res, 200, JSON.stringify(core.assign(parsed.value, 'http')));
    });
  }

  /** OFREP's single-flag evaluation: the same assignment in OpenFeature's words (ofrep.pure.ts). */
  function ofrep(req: IncomingMessage, res: ServerResponse, rawKey: string): void {
    if (!authorized(req.headers.authorization)) {
      req.resume();
      unauthorized(res);
      return;
    }
    let key = '';
    try {
      key = decodeURIComponent(rawKey);
    } catch {
      // Malformed percent-encoding: refused as an empty key below.
    }
    readBody(req, options.maxBodyBytes, (body) => {
      if (!body.ok) {
        errors.bad_request.inc();
        const failure = { key, errorCode: 'PARSE_ERROR', errorDetails: `body: ${body.error}` };
        send(res, 400, JSON.stringify(failure), { connection: 'close' });
        return;
      }
      const parsed = parseOfrepRequest(key, body.text);
      if (!parsed.ok) {
        errors.bad_request.inc();
        send(res, parsed.status, JSON.stringify(parsed.failure));
        return;
      }
      const answer = toOfrep(key, core.assign(parsed.request, 'http'));
      if (answer === null) send(res, 404, JSON.stringify(flagNotFound(key)));
      else send(res, 200, JSON.stringify(answer));
    });
  }

  return (req, res) => {
    const url = req.url ?? '/';
    // The hot path is matched on the raw URL; anything else goes through the URL parser.
    const path = url === '/v1/assign' ? url : new URL(url, 'http://localhost').pathname;
    if (path === '/v1/assign') {
      if (req.method !== 'POST') {
        send(res, 405, JSON.stringify({ error: 'use POST' }), { allow: 'POST' });
        return true;
      }
      assign(req, res);
      return true;
    }
    if (path.startsWith(OFREP_PREFIX) && req.method === 'POST') {
      ofrep(req, res, path.slice(OFREP_PREFIX.length));
      return true;
    }
    if (path === '/openapi.json' && req.method === 'GET') {
      send(res, 200, openApiBody);
      return true;
    }
    if (path.startsWith('/v1/agents/') && req.method === 'GET') {
      if (!authorized(req.headers.authorization)) {
        unauthorized(res);
        return true;
      }
      const segment = path.slice('/v1/agents/'.length);
      let agentId = '';
      try {
        if (!segment.includes('/')) agentId = decodeURIComponent(segment);
      } catch {
        // Malformed percent-encoding: refused below.
      }
      if (agentId === '') {
        errors.bad_request.inc();
        send(
          res,
          400,
          JSON.stringify({ error: 'agentId: must be one non-empty, percent-encoded path segment', field: 'agentId' }),
        );
        return true;
      }
      send(res, 200, JSON.stringify(options.core.describe(agentId)));
      return true;
    }
    return false;
  };
}
