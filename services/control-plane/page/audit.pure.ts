import { html, path, type Html } from './html.pure.ts';
import { when } from './layout.pure.ts';

/** The audit log, filterable, with the chain's verification when asked for (it reads the whole log). */

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  agentId: string | null;
  subjectType: string;
  subjectId: string;
}

export interface AuditFilters {
  agentId?: string | undefined;
  actor?: string | undefined;
  action?: string | undefined;
}

export type ChainStatus = { ok: true; rows: number } | { ok: false; rows: number; message: string } | null;

export function auditFilters(filters: AuditFilters): Html {
  return html`<form method="get" action="/audit" class="filters" role="search">
  <label for="f-agent">Agent</label><input id="f-agent" name="agentId" value="${filters.agentId ?? ''}">
  <label for="f-actor">Actor</label><input id="f-actor" name="actor" value="${filters.actor ?? ''}">
  <label for="f-action">Action</label><input id="f-action" name="action" value="${filters.action ?? ''}">
  <button type="submit">Filter</button>
</form>
<form method="get" action="/audit"><input type="hidden" name="verify" value="1"><button type="submit" class="secondary">Verify the chain</button></form>`;
}

export function auditLive(entries: readonly AuditEntry[], filters: AuditFilters, chain: ChainStatus): Html {
  const shown = entries.filter(
    (e) =>
      (!filters.actor || e.actor.includes(filters.actor)) && (!filters.action || e.action.includes(filters.action)),
  );
  return html`${
    chain === null
      ? html`<p class="muted">Chain not verified on this view (verifying reads the whole log).</p>`
      : chain.ok
        ? html`<p class="ok" role="status">Chain intact: ${chain.rows} entries verified.</p>`
        : html`<p class="error" role="alert">Chain broken: ${chain.message}</p>`
  }
<div class="scroll"><table><thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Agent</th><th scope="col">Subject</th></tr></thead><tbody>
${shown.map((e) => html`<tr><td>${e.id}</td><td>${when(e.at)}</td><td>${e.actor}</td><td>${e.action}</td><td>${e.agentId ? html`<a href="${path('agents', e.agentId)}">${e.agentId}</a>` : '—'}</td><td>${e.subjectType} ${e.subjectId}</td></tr>`)}
</tbody></table></div>`;
}
