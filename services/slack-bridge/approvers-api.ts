import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import { bearerToken } from '../../lib/auth/tokens.ts';
import { fieldIssues } from '../../lib/field-issues.ts';
import {
  addSlackApprover,
  listSlackApprovers,
  removeSlackApprover,
  slackApproverInput,
} from '../../lib/db/repositories/slack-approvers.ts';
import { findActiveToken } from '../../lib/db/repositories/tokens.ts';
import type { Database } from '../../lib/db/schema.ts';
import { readBody, sendJson } from '../../lib/http.ts';
import type { Logger } from '../../lib/logging.ts';

const base = '/api/slack/approvers';

/**
 * The approvers allow-list over HTTP, with the control plane's API tokens: every role may list it; only an admin
 * (who manages who holds which token anyway) may add or remove an approver. Changes are audited under the token's
 * holder. `GET|POST /api/slack/approvers`, `DELETE /api/slack/approvers/{slackUserId}`.
 */
export function approversRoute(db: Kysely<Database>, logger: Logger) {
  async function serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const id = path === base ? null : decodeURIComponent(path.slice(base.length + 1));
    const allowed = id === null ? ['GET', 'POST'] : ['DELETE'];
    if (!allowed.includes(method)) {
      req.resume();
      res.setHeader('allow', allowed.join(', '));
      return sendJson(res, 405, { error: `${method} ${path}: use ${allowed.join(', ')}` });
    }
    const token = bearerToken(req.headers.authorization);
    const holder = token === null ? undefined : await findActiveToken(db, token);
    if (!holder) {
      req.resume();
      res.setHeader('www-authenticate', 'Bearer');
      return sendJson(res, 401, { error: 'authorization: a valid bearer token is required', field: 'authorization' });
    }
    if (method === 'GET') return sendJson(res, 200, await listSlackApprovers(db));
    if (holder.role !== 'admin') {
      req.resume();
      return sendJson(res, 403, { error: `role ${holder.role} may not change the approvers (allowed: admin)` });
    }
    if (method === 'DELETE') {
      const removed = await removeSlackApprover(db, id!, holder.name);
      return removed
        ? sendJson(res, 200, { slackUserId: id, removed: true })
        : sendJson(res, 404, { error: `slackUserId: ${id} is not an approver`, field: 'slackUserId' });
    }
    const text = await new Promise<string | Error>((resolve) =>
      readBody(req, 16_384, (body) => resolve(body.ok ? body.text : new Error(body.error))),
    );
    if (text instanceof Error) return sendJson(res, 400, { error: text.message, field: 'body' });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return sendJson(res, 400, { error: 'body: is not valid JSON', field: 'body' });
    }
    const parsed = slackApproverInput.safeParse(json);
    if (!parsed.success) {
      const problems = fieldIssues(parsed.error, 'body');
      return sendJson(res, 400, { error: problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems });
    }
    const added = await addSlackApprover(db, parsed.data, holder.name);
    return sendJson(res, added.created ? 201 : 200, added.approver);
  }

  return (req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== base && !path.startsWith(`${base}/`)) return false;
    return serve(req, res, path).then(
      () => true,
      (err: unknown) => {
        logger.error('approvers API request failed', { err });
        sendJson(res, 500, { error: 'internal error' });
        return true;
      },
    );
  };
}
