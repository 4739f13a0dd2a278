import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { readBody } from '../../../lib/http.ts';
import type { ApiContext } from '../api.pure.ts';
import { actorOfToken } from '../server.ts';
import { signInPage } from './layout.pure.ts';

/**
 * The learning page's sign-in (a session cookie holding the token, docs/page.md), its form token, the answers it sends,
 * and its static files: page.css, page.js, and uPlot from node_modules.
 */

export const cookieName = 'learnloop_token';
const require = createRequire(import.meta.url);
const assetFiles: Record<string, { file: string; type: string }> = {
  'page.css': { file: new URL('./assets/page.css', import.meta.url).pathname, type: 'text/css' },
  'page.js': { file: new URL('./assets/page.js', import.meta.url).pathname, type: 'text/javascript' },
  'uPlot.iife.min.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript' },
  'uPlot.min.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css' },
};

/** The form token of a signed-in browser: only whoever holds the token can compute it. */
export const csrfOf = (token: string) =>
  createHash('sha256').update(`learnloop-page-form:${token}`).digest('base64url');

export function tokenOf(req: IncomingMessage): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === cookieName) return decodeURIComponent(rest.join('='));
  }
  return null;
}

export function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'text/html; charset=utf-8',
  extra = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    ...extra,
  });
  res.end(body);
}

export const redirect = (res: ServerResponse, to: string, extra = {}) => {
  res.writeHead(303, { location: to, 'content-length': 0, ...extra });
  res.end();
};

export const formOf = (req: IncomingMessage) =>
  new Promise<URLSearchParams>((resolve, reject) =>
    readBody(req, 65_536, (body) =>
      body.ok ? resolve(new URLSearchParams(body.text)) : reject(new Error(body.error)),
    ),
  );

/** The static files, sign-in and sign-out; false for any other request. */
export async function serveSession(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: ApiContext,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  if (method === 'GET' && url.pathname.startsWith('/assets/')) {
    const asset = assetFiles[url.pathname.slice('/assets/'.length)];
    if (!asset) return false;
    const body = readFileSync(asset.file);
    res.writeHead(200, {
      'content-type': `${asset.type}; charset=utf-8`,
      'content-length': body.length,
      'cache-control': 'max-age=3600',
    });
    res.end(body);
    return true;
  }
  if (url.pathname === '/sign-in') {
    const next = url.searchParams.get('next') ?? '/';
    if (method === 'GET') {
      send(res, 200, signInPage(null, next).text);
      return true;
    }
    if (method !== 'POST') return false;
    const fields = await formOf(req);
    const token = (fields.get('token') ?? '').trim();
    const actor = token ? await actorOfToken(ctx, token, 'page') : null;
    if (!actor) {
      send(res, 401, signInPage('That token is unknown or revoked.', fields.get('next') ?? '/').text);
      return true;
    }
    const target =
      (fields.get('next') ?? '/').startsWith('/') && !(fields.get('next') ?? '').startsWith('//')
        ? (fields.get('next') ?? '/')
        : '/';
    // A session cookie (no Max-Age): the browser forgets it when the session ends.
    redirect(res, target, {
      'set-cookie': `${cookieName}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`,
    });
    return true;
  }
  if (url.pathname === '/sign-out' && method === 'POST') {
    req.resume();
    redirect(res, '/sign-in', { 'set-cookie': `${cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0` });
    return true;
  }
  return false;
}
