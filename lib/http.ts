import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, type Registry } from 'prom-client';
import { ConfigError } from './config.ts';
import type { Logger } from './logging.ts';

/** A named readiness check: a service is ready when every check passes (e.g. "partitions assigned"). */
export interface ReadinessCheck {
  name: string;
  check: () => boolean | Promise<boolean>;
}

/** Handles a request the helper does not own; returns false to fall through to 404. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  registry: Registry;
  readiness?: readonly ReadinessCheck[];
  routes?: RouteHandler;
  logger: Logger;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

export type Body = { ok: true; text: string } | { ok: false; error: string };

/**
 * Calls `then` with the body as text, or the reason it is refused; reading stops at the limit. A callback rather than
 * a Promise: the answer is written from the request's 'end' event, without a promise and a microtask per request.
 */
export function readBody(req: IncomingMessage, limit: number, then: (body: Body) => void): void {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    then({ ok: false, error: `body: larger than ${limit} bytes` });
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const finish = (body: Body) => {
    if (done) return;
    done = true;
    then(body);
  };
  req.on('data', (chunk: Buffer) => {
    if (done) return;
    size += chunk.length;
    if (size > limit) finish({ ok: false, error: `body: larger than ${limit} bytes` });
    else chunks.push(chunk);
  });
  req.on('end', () =>
    finish({
      ok: true,
      text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
    }),
  );
  req.on('error', () => finish({ ok: false, error: 'body: the request was aborted' }));
}

const plainPath = /^\/(?!\/)[^?#%.\\]*$/;

export async function runChecks(checks: readonly ReadinessCheck[]): Promise<Record<string, boolean>> {
  const results: Record<string, boolean> = {};
  for (const { name, check } of checks) {
    try {
      results[name] = await check();
    } catch {
      results[name] = false;
    }
  }
  return results;
}

/**
 * Serves `/metrics` (Prometheus text format), `/healthz` (the process is alive and its event loop answers) and
 * `/readyz` (every readiness check passes; 503 naming the ones that do not), then any routes of the service.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const checks = options.readiness ?? [];
  const fail = (req: IncomingMessage, res: ServerResponse) => (err: unknown) => {
    options.logger.error('http handler failed', { err, url: req.url });
    if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    else res.destroy();
  };
  const notFound = (req: IncomingMessage, res: ServerResponse, path: string) =>
    sendJson(res, 404, { error: `no route for ${req.method} ${path}` });

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    // A plain path is the common case: the URL parser (queries, escapes, dot segments, absolute form) only when needed.
    const path = plainPath.test(url) ? url : new URL(url, 'http://localhost').pathname;
    if (req.method === 'GET' && (path === '/metrics' || path === '/readyz')) {
      void (async () => {
        if (path === '/metrics') {
          const body = await options.registry.metrics();
          res.writeHead(200, { 'content-type': options.registry.contentType });
          res.end(body);
        } else {
          const results = await runChecks(checks);
          const ready = Object.values(results).every(Boolean);
          sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks: results });
        }
      })().catch(fail(req, res));
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      sendJson(res, 200, { status: 'ok' });
      return;
    }
    if (!options.routes) {
      notFound(req, res, path);
      return;
    }
    // Routes answer synchronously where they can (no promise per request on a hot path), or return a promise.
    let handled: boolean | Promise<boolean>;
    try {
      handled = options.routes(req, res);
    } catch (err) {
      fail(req, res)(err);
      return;
    }
    if (handled === false) notFound(req, res, path);
    else if (handled !== true) handled.then((h) => h || notFound(req, res, path), fail(req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** For a server's listen failure: a taken port is a configuration problem, named by its variable. */
export function portInUse(variable: string, host: string, port: number) {
  return (err: NodeJS.ErrnoException): never => {
    if (err.code === 'EADDRINUSE')
      throw new ConfigError([`${variable}=${port}: ${host}:${port} is already in use by another program`]);
    throw err;
  };
}

/**
 * `learnloop_readiness_check{check}`: 1 when the check passes, read when /metrics is scraped, so that an alert can say
 * which part of which process is not ready (names come from code: bounded).
 */
export function exportReadiness(registry: Registry, checks: readonly ReadinessCheck[]): void {
  new Gauge({
    name: 'learnloop_readiness_check',
    help: "1 when the named readiness check passes, 0 when it fails (the process's /readyz is 200 only when all pass).",
    labelNames: ['check'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [check, ok] of Object.entries(await runChecks(checks))) this.set({ check }, ok ? 1 : 0);
    },
  });
}
