import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentListView, ApprovalView, ExperimentView, PolicyView, StatusView } from '../../../lib/api/schemas.ts';
import type { RouteHandler } from '../../../lib/http.ts';
import type { FieldIssue } from '../../../lib/field-issues.ts';
import type { Actor, ApiContext, Reply } from '../api.pure.ts';
import { compilePath, matchPath } from '../paths.pure.ts';
import { allows } from '../roles.pure.ts';
import { actorOfToken, type ApiCall } from '../server.ts';
import { csrfOf, formOf, redirect, send, serveSession, tokenOf } from './session.ts';
import { agentLive, learningControls, type AgentPageData } from './agent.pure.ts';
import { agentsFilters, agentsTable, type AgentsQuery } from './agents.pure.ts';
import { approvalDetail, approvalsList } from './approvals.pure.ts';
import { auditFilters, auditLive, type AuditEntry, type ChainStatus } from './audit.pure.ts';
import { experimentLive } from './experiment.pure.ts';
import { html, path, type Html } from './html.pure.ts';
import { layout, type PageFrame, type Viewer } from './layout.pure.ts';
import { overridesFromForm, policyForm } from './policy-form.pure.ts';
import { verdictHistory } from './verdicts.ts';

/**
 * The learning page (docs/page.md): HTML rendered here from the API's own answers (an in-process call as the signed-in
 * person, so roles and validation are the API's), a session cookie holding the token, and one small script that
 * refreshes the live part of each page.
 */

const messageOf = (reply: Reply) => (reply.body as { error?: string } | null)?.error ?? `HTTP ${reply.status}`;
const problemsOf = (reply: Reply): FieldIssue[] =>
  ((reply.body as { problems?: FieldIssue[] } | null)?.problems ?? []).map((p) => ({
    field: p.field.replace(/^body\./, ''),
    message: p.message,
  }));

/** A page's parts: its title and live part, and the forms outside the live part. */
interface Rendered {
  status?: number;
  frame: Omit<PageFrame, 'viewer'>;
}

/** What a POST leaves to show: the refusal, by its field, on the page it came from. */
interface Outcome {
  error?: string | null;
  problems?: FieldIssue[];
  submitted?: URLSearchParams;
  fourEyes?: boolean;
  saved?: number | null;
  status?: number;
}

class PageError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export function pageRoutes(options: { api: ApiCall; ctx: ApiContext }): RouteHandler {
  const { api, ctx } = options;
  const read = async <T>(actor: Actor, target: string): Promise<T> => {
    const reply = await api(actor, 'GET', target);
    if (reply.status !== 200) throw new PageError(reply.status, messageOf(reply));
    return reply.body as T;
  };

  async function agentsPage(actor: Actor, url: URL): Promise<Rendered> {
    const p = url.searchParams;
    const query: AgentsQuery = {
      q: p.get('q') || undefined,
      mode: p.get('mode') === 'on' || p.get('mode') === 'paused' ? (p.get('mode') as 'on' | 'paused') : undefined,
      sort: (['id', 'name', 'createdAt'] as const).find((s) => s === p.get('sort')) ?? 'name',
      order: p.get('order') === 'desc' ? 'desc' : 'asc',
      offset: Math.max(0, Number.parseInt(p.get('offset') ?? '0', 10) || 0),
      limit: 50,
    };
    const api = new URLSearchParams({
      sort: query.sort,
      order: query.order,
      offset: String(query.offset),
      limit: '50',
    });
    if (query.q) api.set('q', query.q);
    if (query.mode) api.set('mode', query.mode);
    const list = await read<AgentListView>(actor, `/api/agents?${api}`);
    return {
      frame: { title: 'Agents', section: 'agents', live: agentsTable(list, query), filters: agentsFilters(query) },
    };
  }

  async function agentPage(actor: Actor, agentId: string, outcome: Outcome, csrf: string): Promise<Rendered> {
    const base = path('api', 'agents', agentId);
    const [agent, status, experiments, approvals, policy] = await Promise.all([
      read<AgentPageData['agent']>(actor, base),
      read<StatusView>(actor, `${base}/learning/status`),
      read<ExperimentView[]>(actor, `${base}/learning/experiments?limit=20`),
      read<ApprovalView[]>(actor, `/api/approvals?status=all&agentId=${encodeURIComponent(agentId)}&limit=50`),
      read<PolicyView>(actor, `${base}/learning/policy`),
    ]);
    const still = html`${learningControls(status, {
      csrf,
      canControl: allows(actor.role, 'learning.control'),
      error: outcome.problems ? null : (outcome.error ?? null),
    })}${policyForm({
      agentId,
      version: policy.version,
      policy: policy.policy,
      csrf,
      canEdit: allows(actor.role, 'policy.write'),
      error: outcome.problems && !outcome.problems.length ? (outcome.error ?? null) : null,
      ...(outcome.submitted ? { submitted: outcome.submitted } : {}),
      ...(outcome.problems ? { problems: outcome.problems } : {}),
      saved: outcome.saved ?? null,
    })}`;
    return {
      frame: {
        title: agent.name,
        section: 'agents',
        live: agentLive({ agent, status, experiments, approvals }),
        still,
      },
    };
  }

  async function experimentPage(actor: Actor, agentId: string, experimentId: string): Promise<Rendered> {
    const experiments = await read<ExperimentView[]>(
      actor,
      `${path('api', 'agents', agentId)}/learning/experiments?limit=100`,
    );
    const experiment = experiments.find((e) => e.id === experimentId);
    if (!experiment) throw new PageError(404, `agent ${agentId} has no recent experiment ${experimentId}`);
    const [history, policy] = await Promise.all([
      verdictHistory(api, actor, experimentId),
      read<PolicyView>(actor, `${path('api', 'agents', agentId)}/learning/policy`),
    ]);
    const minimumEffect = Number(
      (policy.policy['experiment'] as { minimumEffect?: number } | undefined)?.minimumEffect ?? 0,
    );
    return {
      frame: {
        title: `Experiment ${experimentId.slice(0, 12)} of ${agentId}`,
        section: 'agents',
        chart: true,
        live: experimentLive(experiment, history, minimumEffect),
      },
    };
  }

  async function approvalsPage(actor: Actor): Promise<Rendered> {
    const approvals = await read<ApprovalView[]>(actor, '/api/approvals?status=all&limit=200');
    return { frame: { title: 'Approvals', section: 'approvals', live: approvalsList(approvals, ctx.now()) } };
  }

  async function approvalPage(actor: Actor, approvalId: string, outcome: Outcome, csrf: string): Promise<Rendered> {
    const approvals = await read<ApprovalView[]>(actor, '/api/approvals?status=all&limit=500');
    const approval = approvals.find((a) => a.id === approvalId);
    if (!approval) throw new PageError(404, `no approval ${approvalId}`);
    const experiments = await read<ExperimentView[]>(
      actor,
      `${path('api', 'agents', approval.agentId)}/learning/experiments?limit=100`,
    );
    return {
      frame: {
        title: 'Approval',
        section: 'approvals',
        live: approvalDetail(approval, experiments.find((e) => e.id === approval.experimentId) ?? null, {
          now: ctx.now(),
          canDecide: allows(actor.role, 'approvals.decide'),
          csrf,
          error: outcome.error ?? null,
          fourEyes: outcome.fourEyes ?? false,
        }),
      },
    };
  }

  async function auditPage(actor: Actor, url: URL): Promise<Rendered> {
    const p = url.searchParams;
    const filters = {
      agentId: p.get('agentId') || undefined,
      actor: p.get('actor') || undefined,
      action: p.get('action') || undefined,
    };
    const query = new URLSearchParams({ limit: '500' });
    if (filters.agentId) query.set('agentId', filters.agentId);
    if (filters.actor) query.set('actor', filters.actor);
    if (filters.action) query.set('action', filters.action);
    const [page, chain] = await Promise.all([
      read<{ entries: AuditEntry[] }>(actor, `/api/audit?${query}`),
      p.get('verify') === '1'
        ? read<{ ok: boolean; rows: number; firstBrokenId?: number; reason?: string }>(actor, '/api/audit/verification')
        : null,
    ]);
    const status: ChainStatus = chain
      ? chain.ok
        ? { ok: true, rows: chain.rows }
        : { ok: false, rows: chain.rows, message: `entry ${chain.firstBrokenId}: ${chain.reason}` }
      : null;
    return {
      frame: {
        title: 'Audit',
        section: 'audit',
        live: auditLive(page.entries, filters, status),
        filters: auditFilters(filters),
      },
    };
  }

  const pages = [
    { pattern: compilePath('/'), render: (a: Actor, u: URL) => agentsPage(a, u) },
    {
      pattern: compilePath('/agents/{agentId}'),
      render: (a: Actor, _u: URL, p: Record<string, string>, o: Outcome, c: string) =>
        agentPage(a, p['agentId']!, o, c),
    },
    {
      pattern: compilePath('/agents/{agentId}/experiments/{experimentId}'),
      render: (a: Actor, _u: URL, p: Record<string, string>) => experimentPage(a, p['agentId']!, p['experimentId']!),
    },
    { pattern: compilePath('/approvals'), render: (a: Actor) => approvalsPage(a) },
    {
      pattern: compilePath('/approvals/{approvalId}'),
      render: (a: Actor, _u: URL, p: Record<string, string>, o: Outcome, c: string) =>
        approvalPage(a, p['approvalId']!, o, c),
    },
    { pattern: compilePath('/audit'), render: (a: Actor, u: URL) => auditPage(a, u) },
  ];

  async function show(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    actor: Actor,
    csrf: string,
    outcome: Outcome = {},
  ): Promise<boolean> {
    for (const page of pages) {
      const match = matchPath(page.pattern, url.pathname);
      if (!match.ok) continue;
      let rendered: Rendered;
      try {
        rendered = await page.render(actor, url, match.params, outcome, csrf);
      } catch (err) {
        if (!(err instanceof PageError)) throw err;
        rendered = {
          status: err.status,
          frame: { title: 'Not shown', live: html`<p class="error" role="alert">${err.message}</p>` },
        };
      }
      const viewer: Viewer = { name: actor.name, role: actor.role, csrf };
      const partial = req.headers['x-learnloop-partial'] === '1';
      const body: Html = partial ? (rendered.frame.live ?? html``) : layout({ ...rendered.frame, viewer });
      send(res, outcome.status ?? rendered.status ?? 200, body.text);
      return true;
    }
    return false;
  }

  /** Each form: the API call it makes, and where a success goes. */
  const forms = [
    {
      pattern: compilePath('/agents/{agentId}/pause'),
      call: (a: Actor, p: Record<string, string>, f: URLSearchParams) =>
        api(a, 'POST', `${path('api', 'agents', p['agentId']!)}/learning/pause`, { reason: f.get('reason') ?? '' }),
      back: (p: Record<string, string>) => path('agents', p['agentId']!),
    },
    {
      pattern: compilePath('/agents/{agentId}/resume'),
      call: (a: Actor, p: Record<string, string>, f: URLSearchParams) =>
        api(
          a,
          'POST',
          `${path('api', 'agents', p['agentId']!)}/learning/resume`,
          f.get('reason') ? { reason: f.get('reason') } : {},
        ),
      back: (p: Record<string, string>) => path('agents', p['agentId']!),
    },
    {
      pattern: compilePath('/approvals/{approvalId}/decision'),
      call: (a: Actor, p: Record<string, string>, f: URLSearchParams) =>
        api(a, 'POST', `${path('api', 'approvals', p['approvalId']!)}/decision`, {
          decision: f.get('decision') ?? '',
          ...(f.get('reason') ? { reason: f.get('reason') } : {}),
        }),
      back: (p: Record<string, string>) => path('approvals', p['approvalId']!),
    },
    {
      pattern: compilePath('/agents/{agentId}/policy'),
      call: async (a: Actor, p: Record<string, string>, f: URLSearchParams): Promise<Reply> => {
        const base = `${path('api', 'agents', p['agentId']!)}/learning/policy`;
        const current = await api(a, 'GET', base);
        if (current.status !== 200) return current;
        const built = overridesFromForm((current.body as PolicyView).overrides, f);
        if (!built.ok)
          return {
            status: 400,
            body: { error: `${built.problems[0]!.field}: ${built.problems[0]!.message}`, problems: built.problems },
          };
        return api(a, 'POST', base, {
          policy: built.overrides,
          expectedVersion: Number(f.get('expectedVersion') ?? '0'),
          ...(f.get('reason') ? { reason: f.get('reason') } : {}),
        });
      },
      back: (p: Record<string, string>) => path('agents', p['agentId']!),
    },
  ];

  async function submit(req: IncomingMessage, res: ServerResponse, url: URL, actor: Actor, token: string) {
    for (const form of forms) {
      const match = matchPath(form.pattern, url.pathname);
      if (!match.ok) continue;
      const fields = await formOf(req);
      // SameSite=Strict keeps other sites' forms from carrying the cookie; the form token also stops same-site ones.
      if (fields.get('csrf') !== csrfOf(token)) {
        send(res, 403, 'the form is stale or forged: reload the page and try again', 'text/plain; charset=utf-8');
        return true;
      }
      const reply = await form.call(actor, match.params, fields);
      const back = form.back(match.params);
      if (reply.status >= 200 && reply.status < 300) {
        const saved = (reply.body as { version?: number } | null)?.version;
        redirect(res, url.pathname.endsWith('/policy') && saved ? `${back}?saved=${saved}` : back);
        return true;
      }
      const message = messageOf(reply);
      const outcome: Outcome = {
        error: message,
        fourEyes: reply.status === 403 && message.includes('may not decide its approval'),
        ...(url.pathname.endsWith('/policy') ? { problems: problemsOf(reply), submitted: fields } : {}),
      };
      // The page the form came from, with the refusal in it, under the API's status (400, 403, 409).
      await show(req, res, new URL(back, 'http://localhost'), actor, csrfOf(token), {
        ...outcome,
        status: reply.status,
      });
      return true;
    }
    return false;
  }

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (await serveSession(req, res, url, ctx)) return true;
    const isPage = pages.some((p) => matchPath(p.pattern, url.pathname).ok);
    const isForm = forms.some((f) => matchPath(f.pattern, url.pathname).ok);
    if (!(method === 'GET' && isPage) && !(method === 'POST' && isForm)) return false;
    const token = tokenOf(req);
    const actor = token ? await actorOfToken(ctx, token, 'page') : null;
    if (!token || !actor) {
      req.resume();
      if (req.headers['x-learnloop-partial'] === '1') send(res, 401, 'signed out', 'text/plain; charset=utf-8');
      else redirect(res, `/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`);
      return true;
    }
    if (method === 'POST') return submit(req, res, url, actor, token);
    const saved = Number(url.searchParams.get('saved'));
    return show(req, res, url, actor, csrfOf(token), Number.isInteger(saved) && saved > 0 ? { saved } : {});
  };
}
