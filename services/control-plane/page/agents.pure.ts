import type { AgentListView, AgentSummaryView } from '../../../lib/api/schemas.ts';
import { html, path, type Html } from './html.pure.ts';
import { short, when } from './layout.pure.ts';

/** The first screen: every agent, one server-side page at a time, sortable and filterable. */

export interface AgentsQuery {
  q?: string | undefined;
  mode?: 'on' | 'paused' | undefined;
  sort: 'id' | 'name' | 'createdAt';
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export function agentsQueryString(query: AgentsQuery, change: Partial<AgentsQuery> = {}): string {
  const merged = { ...query, ...change };
  const params = new URLSearchParams();
  if (merged.q) params.set('q', merged.q);
  if (merged.mode) params.set('mode', merged.mode);
  params.set('sort', merged.sort);
  params.set('order', merged.order);
  if (merged.offset > 0) params.set('offset', String(merged.offset));
  return `?${params}`;
}

function sortHeader(query: AgentsQuery, column: AgentsQuery['sort'], label: string): Html {
  const current = query.sort === column;
  const order = current && query.order === 'asc' ? 'desc' : 'asc';
  const aria = current ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none';
  return html`<th scope="col" aria-sort="${aria}"><a href="/${agentsQueryString(query, { sort: column, order, offset: 0 })}">${label}${current ? (query.order === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`;
}

function experimentCell(agent: AgentSummaryView): Html {
  const e = agent.experiment;
  if (!e) return html`<span class="muted">none</span>`;
  const stage =
    e.mode === 'shadow'
      ? 'shadow'
      : `A/B at ${(e.candidateBasisPoints / 100).toFixed(1)}% (step ${e.rampStepIndex + 1})`;
  return html`<a href="${path('agents', agent.id, 'experiments', e.id)}">${e.status.replace('_', ' ')}</a> · ${stage}${e.decision ? html` · ${e.decision}` : ''}`;
}

function row(agent: AgentSummaryView): Html {
  const promotion = agent.lastPromotion;
  return html`<tr>
  <td><a href="${path('agents', agent.id)}">${agent.name}</a>${agent.name === agent.id ? '' : html`<br><span class="muted">${agent.id}</span>`}</td>
  <td><code>${short(agent.liveVersionId)}</code></td>
  <td>${agent.continuousMode === 'on' ? html`<span class="badge ok">on</span>` : html`<span class="badge warn">paused</span> by ${agent.paused?.by}`}</td>
  <td>${agent.openSession ? html`${agent.openSession.status} (${agent.openSession.trigger})` : html`<span class="muted">none</span>`}</td>
  <td>${experimentCell(agent)}</td>
  <td>${promotion ? html`${when(promotion.at)} · ${promotion.by === 'auto' ? 'auto' : html`by ${promotion.approver ?? 'a person'}`}` : html`<span class="muted">never</span>`}</td>
  <td>${when(agent.createdAt)}</td>
</tr>`;
}

export function agentsFilters(query: AgentsQuery): Html {
  return html`<form method="get" action="/" class="filters" role="search">
  <label for="q">Name or id</label>
  <input id="q" name="q" value="${query.q ?? ''}" maxlength="200">
  <label for="mode">Continuous mode</label>
  <select id="mode" name="mode">
    <option value="">any</option>
    <option value="on"${query.mode === 'on' ? html` selected` : ''}>on</option>
    <option value="paused"${query.mode === 'paused' ? html` selected` : ''}>paused</option>
  </select>
  <input type="hidden" name="sort" value="${query.sort}">
  <input type="hidden" name="order" value="${query.order}">
  <button type="submit">Filter</button>
</form>`;
}

export function agentsTable(list: AgentListView, query: AgentsQuery): Html {
  const last = Math.min(list.offset + list.agents.length, list.total);
  const pager = html`<nav class="pager" aria-label="Pages">
  ${list.offset > 0 ? html`<a href="/${agentsQueryString(query, { offset: Math.max(0, list.offset - list.limit) })}" rel="prev">← Previous</a>` : ''}
  <span>${list.total === 0 ? 'No agents' : `${list.offset + 1}–${last} of ${list.total}`}</span>
  ${last < list.total ? html`<a href="/${agentsQueryString(query, { offset: list.offset + list.limit })}" rel="next">Next →</a>` : ''}
</nav>`;
  return html`<div class="scroll"><table>
<caption class="visually-hidden">Agents</caption>
<thead><tr>
  ${sortHeader(query, 'name', 'Agent')}<th scope="col">Live version</th><th scope="col">Continuous mode</th>
  <th scope="col">Open session</th><th scope="col">Experiment</th><th scope="col">Last promotion</th>
  ${sortHeader(query, 'createdAt', 'Registered')}
</tr></thead>
<tbody>${list.agents.map(row)}</tbody>
</table></div>
${pager}`;
}
