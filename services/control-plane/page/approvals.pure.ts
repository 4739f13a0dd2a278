import type { ApprovalView, ExperimentView } from '../../../lib/api/schemas.ts';
import type { ExperimentStatistics } from '../../../lib/contracts/types.generated.ts';
import { proposalCard } from './diff.pure.ts';
import { html, path, type Html } from './html.pure.ts';
import { problem, short, when } from './layout.pure.ts';

/** Approvals: what waits for a person, with what they need to decide, and what was decided, by whom and when. */

function timeLeft(a: ApprovalView, now: Date): string {
  if (!a.expiresAt) return 'no expiry';
  const ms = Date.parse(a.expiresAt) - now.getTime();
  if (ms <= 0) return 'expired';
  const hours = Math.floor(ms / 3_600_000);
  return hours >= 1
    ? `${hours} h ${Math.floor((ms % 3_600_000) / 60_000)} min left`
    : `${Math.ceil(ms / 60_000)} min left`;
}

export function approvalsList(approvals: readonly ApprovalView[], now: Date): Html {
  const pending = approvals.filter((a) => a.status === 'pending');
  const decided = approvals.filter((a) => a.status !== 'pending');
  return html`<section class="card" aria-labelledby="pending-heading">
<h2 id="pending-heading">Pending (${pending.length})</h2>
${
  pending.length === 0
    ? html`<p class="muted">Nothing waits for a decision.</p>`
    : html`<ul class="approvals">${pending.map((a) => html`<li><a href="${path('approvals', a.id)}">${a.summary ?? 'a change'}</a> for <a href="${path('agents', a.agentId)}">${a.agentId}</a> · <span class="badge tier-${a.riskTier}">${a.riskTier} risk</span> · ${timeLeft(a, now)}</li>`)}</ul>`
}
</section>
<section class="card" aria-labelledby="decided-heading">
<h2 id="decided-heading">Decided</h2>
${
  decided.length === 0
    ? html`<p class="muted">None yet.</p>`
    : html`<div class="scroll"><table><thead><tr><th scope="col">Change</th><th scope="col">Agent</th><th scope="col">Decision</th><th scope="col">By</th><th scope="col">When</th><th scope="col">Reason</th></tr></thead><tbody>
${decided.map((a) => html`<tr><td><a href="${path('approvals', a.id)}">${a.summary ?? short(a.id)}</a></td><td>${a.agentId}</td><td>${a.status.replace('_', ' ')}</td><td>${a.approver ?? '—'}</td><td>${when(a.decidedAt)}</td><td>${a.reason ?? ''}</td></tr>`)}
</tbody></table></div>`
}
</section>`;
}

/** The experiment's figures an approver weighs: the primary metric's interval, the guardrails, the runs. */
function evidence(e: ExperimentView | null): Html {
  const stats = e?.statistics as ExperimentStatistics | null | undefined;
  if (!e || !stats?.primary) return html`<dt>Statistics</dt><dd class="muted">no analysis yet</dd>`;
  const p = stats.primary;
  const regressed = stats.guardrails.filter((g) => g.outcome !== 'non_inferior');
  return html`<dt>Primary metric</dt><dd>${p.metric}: ${p.estimate.toFixed(4)} [${p.lower.toFixed(4)}, ${p.upper.toFixed(4)}], ${p.outcome}</dd>
  <dt>Guardrails</dt><dd>${regressed.length === 0 ? `all ${stats.guardrails.length} within their margins` : regressed.map((g) => `${g.metric} ${g.outcome.replace('_', ' ')}`).join(', ')}</dd>
  <dt>Runs</dt><dd>baseline ${e.armCounts.baseline} · candidate ${e.armCounts.candidate}</dd>`;
}

export function approvalDetail(
  a: ApprovalView,
  experiment: ExperimentView | null,
  options: { now: Date; canDecide: boolean; csrf: string; error: string | null; fourEyes: boolean },
): Html {
  return html`<section class="card" aria-labelledby="approval-heading">
<h2 id="approval-heading">${a.summary ?? 'A change'}</h2>
<dl class="facts">
  <dt>Status</dt><dd>${a.status.replace('_', ' ')}${a.expired ? ' (expired)' : ''}</dd>
  <dt>Agent</dt><dd><a href="${path('agents', a.agentId)}">${a.agentId}</a></dd>
  <dt>Risk</dt><dd><span class="badge tier-${a.riskTier}">${a.riskTier}</span></dd>
  ${evidence(experiment)}
  <dt>Experiment</dt><dd><a href="${path('agents', a.agentId, 'experiments', a.experimentId)}">chart, guardrails and verdicts</a></dd>
  <dt>Versions</dt><dd><code>${short(a.baselineVersionId)}</code> → <code>${short(a.candidateVersionId)}</code></dd>
  <dt>Session</dt><dd>${a.sessionTrigger}${a.sessionStartedBy ? ` by ${a.sessionStartedBy}` : ''}</dd>
  <dt>Requested</dt><dd>${when(a.requestedAt)} · ${a.status === 'pending' ? timeLeft(a, options.now) : html`decided ${when(a.decidedAt)} by ${a.approver ?? '—'}${a.reason ? ` (“${a.reason}”)` : ''}`}</dd>
</dl>
${
  options.fourEyes
    ? html`<div class="error" role="alert"><p><strong>Four eyes:</strong> ${options.error}</p><p>Whoever started a session by hand may not also approve its change: another approver must decide.</p></div>`
    : problem(options.error)
}
${
  a.status === 'pending' && options.canDecide
    ? html`<form method="post" action="${path('approvals', a.id)}/decision" class="decide">
  <input type="hidden" name="csrf" value="${options.csrf}">
  <label for="decision-reason">Reason</label>
  <input id="decision-reason" name="reason" maxlength="2000">
  <button type="submit" name="decision" value="approved">Approve</button>
  <button type="submit" name="decision" value="rejected" class="secondary">Reject</button>
</form>`
    : ''
}
</section>
${experiment ? proposalCard(experiment.proposal) : ''}`;
}
