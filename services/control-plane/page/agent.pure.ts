import type { ApprovalView, ExperimentView, StatusView } from '../../../lib/api/schemas.ts';
import { html, path, type Html } from './html.pure.ts';
import { problem, short, when } from './layout.pure.ts';
import { thresholdsCard } from './thresholds.pure.ts';

/** An agent's learning page: status, thresholds, experiments and promotions, and the controls its role allows. */

export interface AgentPageData {
  agent: { id: string; name: string; liveVersionId: string | null; versions: { id: string; createdAt: string }[] };
  status: StatusView;
  experiments: ExperimentView[];
  approvals: ApprovalView[];
}

function statusCard(status: StatusView): Html {
  const paused = status.paused;
  return html`<section class="card" aria-labelledby="status-heading">
<h2 id="status-heading">Status</h2>
<dl class="facts">
  <dt>Continuous mode</dt><dd>${status.continuousMode === 'on' ? html`<span class="badge ok">on</span>` : html`<span class="badge warn">paused</span> by ${paused?.by} ${when(paused?.at)}${paused?.reason ? html` — “${paused.reason}”` : ''}`}</dd>
  <dt>Live version</dt><dd><code>${short(status.liveVersionId)}</code></dd>
  <dt>Next scheduled run</dt><dd>${status.nextScheduledRunAt ? when(status.nextScheduledRunAt) : html`<span class="muted">none${status.schedule.enabled ? ' (paused)' : ' (schedule off)'}</span>`} <span class="muted">(${status.schedule.cron}, ${status.schedule.timezone})</span></dd>
  <dt>Promotion</dt><dd>${status.autoPromoteLowRisk ? 'low-risk winners automatically, others by a person' : 'every promotion by a person'}</dd>
  <dt>Open session</dt><dd>${status.openSession ? html`${status.openSession.status} · ${status.openSession.trigger}${status.openSession.startedBy ? ` by ${status.openSession.startedBy}` : ''} · ${when(status.openSession.createdAt)}` : html`<span class="muted">none</span>`}</dd>
  <dt>Policy version</dt><dd>${status.policyVersion}</dd>
</dl>
</section>`;
}

export function experimentSummary(e: ExperimentView): Html {
  const split = e.trafficSplit;
  return html`<tr>
  <td><a href="${path('agents', e.agentId, 'experiments', e.id)}">${short(e.id)}</a></td>
  <td>${e.status.replace('_', ' ')}</td>
  <td>${e.mode === 'ab' ? `A/B ${(split.candidateBasisPoints / 100).toFixed(1)}%` : `shadow ${(split.shadowSampleBasisPoints / 100).toFixed(1)}%`}</td>
  <td>${e.proposal.summary ?? '—'} <span class="badge tier-${e.proposal.riskTier}">${e.proposal.riskTier} risk</span></td>
  <td>${e.armCounts.baseline} / ${e.armCounts.candidate}${e.mode === 'shadow' ? ` / ${e.armCounts.shadow} shadow` : ''}</td>
  <td>${e.decision ? html`${e.decision.action}` : html`<span class="muted">—</span>`}</td>
  <td>${when(e.startedAt)}</td>
</tr>`;
}

function experimentsCard(experiments: ExperimentView[]): Html {
  if (experiments.length === 0)
    return html`<section class="card"><h2>Experiments</h2><p class="muted">No experiment yet.</p></section>`;
  return html`<section class="card" aria-labelledby="experiments-heading">
<h2 id="experiments-heading">Experiments</h2>
<div class="scroll"><table><thead><tr><th scope="col">Experiment</th><th scope="col">Status</th><th scope="col">Split</th>
<th scope="col">Proposal</th><th scope="col">Runs (baseline / candidate)</th><th scope="col">Decision</th><th scope="col">Started</th></tr></thead>
<tbody>${experiments.map(experimentSummary)}</tbody></table></div>
</section>`;
}

function promotionsCard(experiments: ExperimentView[]): Html {
  const promoted = experiments.filter((e) => e.status === 'promoted');
  return html`<section class="card" aria-labelledby="promotions-heading">
<h2 id="promotions-heading">Promotions</h2>
${
  promoted.length === 0
    ? html`<p class="muted">No promotion yet.</p>`
    : html`<ul class="promotions">${promoted.map((e) => {
        const a = e.latestApproval;
        const human = a !== null && a.status === 'approved';
        return html`<li><span class="badge ${human ? 'human' : 'auto'}">${human ? 'human' : 'auto'}</span>
          ${when(e.endedAt)} · <code>${short(e.proposal.candidateVersionId)}</code> · ${e.proposal.summary ?? ''}
          ${human ? html` · approved by ${a.approver}${a.reason ? ` (“${a.reason}”)` : ''}` : ' · promoted by the policy'}</li>`;
      })}</ul>`
}
</section>`;
}

function pendingApprovals(approvals: ApprovalView[]): Html {
  const pending = approvals.filter((a) => a.status === 'pending');
  if (pending.length === 0) return html``;
  return html`<section class="card attention" aria-labelledby="pending-heading">
<h2 id="pending-heading">Waiting for a decision</h2>
<ul>${pending.map((a) => html`<li><a href="${path('approvals', a.id)}">${a.summary ?? 'a change'}</a> (${a.riskTier} risk), requested ${when(a.requestedAt)}</li>`)}</ul>
</section>`;
}

export function agentLive(data: AgentPageData): Html {
  return html`<div class="columns">${statusCard(data.status)}${thresholdsCard(data.status)}</div>
${pendingApprovals(data.approvals)}
${experimentsCard(data.experiments)}
${promotionsCard(data.experiments)}`;
}

/** Pause or resume, for the roles that may. */
export function learningControls(
  status: StatusView,
  options: { csrf: string; canControl: boolean; error: string | null },
): Html {
  if (!options.canControl) return html``;
  const pausing = status.continuousMode === 'on';
  const action = `${path('agents', status.agentId)}/${pausing ? 'pause' : 'resume'}`;
  return html`<section class="card" aria-labelledby="control-heading">
<h2 id="control-heading">${pausing ? 'Pause learning' : 'Resume learning'}</h2>
${problem(options.error)}
<form method="post" action="${action}">
  <input type="hidden" name="csrf" value="${options.csrf}">
  <label for="control-reason">Reason${pausing ? '' : ' (optional)'}</label>
  <input id="control-reason" name="reason" maxlength="2000"${pausing ? html` required` : ''}>
  <button type="submit">${pausing ? 'Pause' : 'Resume'}</button>
</form>
</section>`;
}
