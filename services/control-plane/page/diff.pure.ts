import type { ExperimentView } from '../../../lib/api/schemas.ts';
import { html, type Html } from './html.pure.ts';

/**
 * A proposal for a person: its risk tier with the reasons, and the configuration change as a diff, field by field
 * (before → after), instead of two configuration blobs.
 */

export interface FieldChange {
  /** Where in the configuration: `parameters.temperature`, `tools[search].timeoutMs`, `instructions`. */
  field: string;
  /** Shown as text; null: the field is absent on that side. */
  before: string | null;
  after: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);

/** A list whose items all have a distinct name (tools, guardrails) is compared item by item, by name. */
function byName(list: unknown[]): Map<string, unknown> | null {
  const named = new Map<string, unknown>();
  for (const item of list) {
    const name =
      typeof item === 'string' ? item : isRecord(item) && typeof item['name'] === 'string' ? item['name'] : null;
    if (name === null || named.has(name)) return null;
    named.set(name, item);
  }
  return named;
}

/** The leaves that differ between two values, named by their path from `at`. */
function leaves(at: string, before: unknown, after: unknown, out: FieldChange[]): void {
  if (JSON.stringify(before ?? null) === JSON.stringify(after ?? null)) return;
  if (isRecord(before) && isRecord(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])])
      leaves(`${at}.${key}`, before[key], after[key], out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const b = byName(before);
    const a = byName(after);
    if (b && a) {
      for (const name of [...new Set([...b.keys(), ...a.keys()])])
        leaves(`${at}[${name}]`, b.get(name), a.get(name), out);
      return;
    }
  }
  out.push({ field: at, before: shown(before), after: shown(after) });
}

/** Every changed field of the proposal's changes, in the order of its parts. */
export function fieldChanges(changes: ExperimentView['proposal']['changes']): FieldChange[] {
  const out: FieldChange[] = [];
  for (const change of changes) leaves(change.part, change.before, change.after, out);
  return out;
}

const side = (value: string | null, tag: 'del' | 'ins') =>
  value === null
    ? html`<span class="muted">${tag === 'del' ? '(absent)' : '(removed)'}</span>`
    : tag === 'del'
      ? html`<del><pre class="value">${value}</pre></del>`
      : html`<ins><pre class="value">${value}</pre></ins>`;

/** The proposal card: tier, reasons in words, and the change as a before → after table. */
export function proposalCard(proposal: ExperimentView['proposal']): Html {
  const fields = fieldChanges(proposal.changes);
  return html`<section class="card" aria-labelledby="proposal-heading">
<h2 id="proposal-heading">The change <span class="badge tier-${proposal.riskTier}">${proposal.riskTier} risk</span></h2>
<p>${proposal.summary ?? html`<span class="muted">no summary</span>`}${proposal.autoEligible ? ' · may be promoted automatically' : ' · a person must approve its promotion'}</p>
<h3>Why ${proposal.riskTier} risk</h3>
${proposal.riskReasons.length ? html`<ul id="risk-reasons">${proposal.riskReasons.map((r) => html`<li>${riskWords[r.code] ?? r.code}${r.detail ? ` (${r.detail})` : ''}</li>`)}</ul>` : html`<p class="muted">No reason recorded.</p>`}
<h3>Configuration diff</h3>
${
  fields.length
    ? html`<div class="scroll"><table id="config-diff"><thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead><tbody>
${fields.map((f) => html`<tr><td><code>${f.field}</code></td><td>${side(f.before, 'del')}</td><td>${side(f.after, 'ins')}</td></tr>`)}
</tbody></table></div>`
    : html`<p class="muted">The two versions' configurations are the same.</p>`
}
</section>`;
}

const riskWords: Record<string, string> = {
  instructions_edited: 'the instructions are edited modestly',
  instructions_rewritten: 'the instructions are largely rewritten',
  parameters_changed: 'parameters change',
  model_changed: 'the model changes',
  tools_changed: 'the tools change',
  memory_changed: 'the memory changes',
  guardrails_changed: 'the guardrails change',
  cost_increase_projected: 'a higher cost per run is projected',
  auto_promotion_disabled: 'the policy turns automatic promotion off',
  policy_minimum_tier: "the policy's minimum tier raises it",
};
