import type { ExperimentView } from '../../../lib/api/schemas.ts';
import type { ExperimentStatistics } from '../../../lib/contracts/types.generated.ts';
import { html, jsonBlock, type Html } from './html.pure.ts';
import { short, when } from './layout.pure.ts';
import { proposalCard } from './diff.pure.ts';

/** An experiment: its split and stage, the primary metric's confidence sequence over time, guardrails, and verdicts. */

/** One analysis of the judge: when, the primary metric's interval, and what it decided. */
export interface VerdictPoint {
  at: string;
  estimate: number | null;
  lower: number | null;
  upper: number | null;
  action: string;
  reasons: { code: string; detail: string | null }[];
  /** The judge's chance that the candidate is better (its primary detail); null before both arms have data. */
  chanceToWin: number | null;
}

const reasonWords: Record<string, string> = {
  minimum_runs_not_reached: 'not enough runs yet',
  minimum_duration_not_reached: 'not running long enough yet',
  primary_inconclusive: 'the primary metric is not yet clearly better or worse',
  primary_better: 'the candidate is better on the primary metric',
  primary_better_sustained: 'the candidate has stayed better long enough',
  primary_worse: 'the candidate is worse on the primary metric',
  guardrail_inconclusive: 'a guardrail is not yet shown safe',
  guardrail_regressed: 'a guardrail regressed beyond its margin',
  sample_ratio_mismatch: 'the arms did not get the traffic they should (sample-ratio mismatch)',
  cost_increase_forbidden: 'the candidate costs more and the policy forbids that',
  ramp_step_complete: 'this ramp step is complete',
  maximum_duration_reached: 'the experiment ran out of time',
  approval_required: 'a person must approve this change',
};

export const inWords = (r: { code: string; detail: string | null }) =>
  `${reasonWords[r.code] ?? r.code}${r.detail ? ` (${r.detail})` : ''}`;

/** At most `max` points for the chart, keeping every decision that was not "continue" (ramps, pauses, the end). */
export function thinPoints(points: readonly VerdictPoint[], max: number): VerdictPoint[] {
  if (points.length <= max) return [...points];
  const step = Math.ceil(points.length / max);
  return points.filter((p, i) => i % step === 0 || p.action !== 'continue' || i === points.length - 1);
}

const fmt = (n: number | null | undefined, digits = 4) => (n === null || n === undefined ? '—' : n.toFixed(digits));

export function experimentLive(e: ExperimentView, history: readonly VerdictPoint[], minimumEffect: number): Html {
  const stats = e.statistics as ExperimentStatistics | null;
  const primary = stats?.primary ?? null;
  const split = e.trafficSplit;
  const chart = thinPoints(history, 1000).filter((p) => p.estimate !== null);
  const marks = history.filter((p) => p.action !== 'continue');
  const chance = history.at(-1)?.chanceToWin ?? null;
  return html`<div class="columns">
<section class="card" aria-labelledby="exp-heading">
<h2 id="exp-heading">Experiment</h2>
<dl class="facts">
  <dt>Status</dt><dd>${e.status.replace('_', ' ')}</dd>
  <dt>Mode</dt><dd>${e.mode === 'ab' ? 'A/B test' : 'shadow (the candidate runs on copies of live inputs)'}</dd>
  <dt>Traffic split</dt><dd>candidate ${(split.candidateBasisPoints / 100).toFixed(2)}% · baseline ${(split.baselineBasisPoints / 100).toFixed(2)}%${e.mode === 'shadow' ? ` · shadow sample ${(split.shadowSampleBasisPoints / 100).toFixed(2)}%` : ''}</dd>
  <dt>Ramp step</dt><dd>${e.rampStepIndex + 1}</dd>
  <dt>Runs</dt><dd>baseline ${e.armCounts.baseline} · candidate ${e.armCounts.candidate}${e.mode === 'shadow' ? ` · shadow pairs ${e.armCounts.shadow}` : ''}</dd>
  <dt>Proposal</dt><dd>${e.proposal.summary ?? '—'} <span class="badge tier-${e.proposal.riskTier}">${e.proposal.riskTier} risk</span>${e.proposal.autoEligible ? ' · may be promoted automatically' : ''}</dd>
  <dt>Versions</dt><dd>baseline <code>${short(e.proposal.baselineVersionId)}</code> → candidate <code>${short(e.proposal.candidateVersionId)}</code></dd>
  <dt>Started</dt><dd>${when(e.startedAt)}${e.endedAt ? html` · ended ${when(e.endedAt)}` : ''}</dd>
  <dt>Decision</dt><dd>${e.decision ? html`<strong>${e.decision.action}</strong>: ${e.decision.reasons.map(inWords).join('; ')}` : html`<span class="muted">none yet</span>`}</dd>
</dl>
</section>
<section class="card" aria-labelledby="primary-heading">
<h2 id="primary-heading">Primary metric${primary ? `: ${primary.metric}` : ''}</h2>
${
  primary
    ? html`<dl class="facts">
  <dt>Difference (candidate − baseline)</dt><dd>${fmt(primary.estimate)} [${fmt(primary.lower)}, ${fmt(primary.upper)}]</dd>
  <dt>Outcome</dt><dd>${primary.outcome}</dd>
  <dt>Chance to win</dt><dd>${chance === null ? '—' : `${(chance * 100).toFixed(1)}%`}</dd>
  <dt>Minimum effect</dt><dd>${minimumEffect}</dd>
</dl>`
    : html`<p class="muted">No analysis yet: both arms need runs.</p>`
}
<h3>Sample-ratio check</h3>
${stats?.srm ? html`<p>${stats.srm.mismatch ? html`<span class="badge bad">mismatch</span>` : html`<span class="badge ok">fine</span>`} p = ${fmt(stats.srm.pValue)} (expected candidate share ${fmt(stats.srm.expectedCandidateShare, 3)})</p>` : html`<p class="muted">Not applicable yet.</p>`}
</section>
</div>
${proposalCard(e.proposal)}
<section class="card" aria-labelledby="chart-heading">
<h2 id="chart-heading">Confidence sequence over time</h2>
<p class="muted">Estimate with its always-valid bounds; the zero line and the minimum-effect line. Marks: ramps and decisions.</p>
<div id="cs-chart" class="chart" role="img" aria-label="${`Confidence sequence: ${chart.length} analyses`}" data-points="${chart.length}"></div>
${jsonBlock('cs-data', { points: chart.map((p) => [Date.parse(p.at) / 1000, p.estimate, p.lower, p.upper]), minimumEffect, marks: marks.map((m) => [Date.parse(m.at) / 1000, m.action]) })}
</section>
<section class="card" aria-labelledby="guardrails-heading">
<h2 id="guardrails-heading">Guardrails</h2>
${
  stats && stats.guardrails.length
    ? html`<table><thead><tr><th scope="col">Metric</th><th scope="col">Estimate</th><th scope="col">Bound</th><th scope="col">Margin</th><th scope="col">Outcome</th></tr></thead><tbody>
${stats.guardrails.map((g) => html`<tr><td>${g.metric}</td><td>${fmt(g.estimate)}</td><td>${fmt(g.bound)}</td><td>${fmt(g.margin)}</td><td>${g.outcome.replace('_', ' ')}</td></tr>`)}
</tbody></table>`
    : html`<p class="muted">No guardrail analysis yet.</p>`
}
</section>
<section class="card" aria-labelledby="verdicts-heading">
<h2 id="verdicts-heading">Verdicts (${history.length})</h2>
<ol class="verdicts" reversed>${[...marks]
    .reverse()
    .slice(0, 50)
    .map((v) => html`<li>${when(v.at)} <strong>${v.action}</strong>: ${v.reasons.map(inWords).join('; ')}</li>`)}
${history.length ? html`<li>${when(history.at(-1)!.at)} latest: <strong>${history.at(-1)!.action}</strong>: ${history.at(-1)!.reasons.map(inWords).join('; ')}</li>` : ''}</ol>
</section>`;
}
