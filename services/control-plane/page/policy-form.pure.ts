import type { FieldIssue } from '../../../lib/field-issues.ts';
import { html, type Html } from './html.pure.ts';

/**
 * The policy as a form: the fields a person tunes (thresholds, schedule, promotion, ramp, guardrail margins), each
 * named by its path in the policy, so that the API's field errors (`policy.trigger.failureRateAbove`) land beside
 * their input. An empty field removes the override (the central default applies).
 */

type Kind = 'number' | 'integer' | 'boolean' | 'text' | 'basisPointsList';
interface Field {
  path: string;
  label: string;
  kind: Kind;
  hint?: string;
}

const fields: readonly Field[] = [
  { path: 'trigger.failureRateAbove', label: 'Failure rate above', kind: 'number', hint: '0 to 1' },
  { path: 'trigger.meanScoreBelow', label: 'Mean score below', kind: 'number', hint: '0 to 1' },
  { path: 'trigger.guardrailHitRateAbove', label: 'Guardrail-hit rate above', kind: 'number', hint: '0 to 1' },
  { path: 'trigger.negativeFeedbackRateAbove', label: 'Negative feedback rate above', kind: 'number', hint: '0 to 1' },
  { path: 'trigger.costIncreasePercentAbove', label: 'Cost per run increase above (%)', kind: 'number' },
  { path: 'trigger.minRuns', label: 'Minimum runs in the window', kind: 'integer' },
  { path: 'schedule.enabled', label: 'Scheduled run enabled', kind: 'boolean' },
  { path: 'schedule.cron', label: 'Schedule (cron)', kind: 'text' },
  { path: 'schedule.timezone', label: 'Schedule time zone', kind: 'text' },
  { path: 'promotion.autoPromoteLowRisk', label: 'Promote low-risk winners automatically', kind: 'boolean' },
  {
    path: 'experiment.rampBasisPoints',
    label: 'Ramp steps (candidate share, basis points)',
    kind: 'basisPointsList',
    hint: 'comma-separated, e.g. 500, 1000, 2500',
  },
  { path: 'experiment.guardrailMargins.failure_rate', label: 'Guardrail margin: failure rate', kind: 'number' },
  {
    path: 'experiment.guardrailMargins.guardrail_hit_rate',
    label: 'Guardrail margin: guardrail-hit rate',
    kind: 'number',
  },
  { path: 'experiment.guardrailMargins.cost_per_run', label: 'Guardrail margin: cost per run (USD)', kind: 'number' },
];

const fieldId = (path: string) => `policy-${path.replace(/[^A-Za-z0-9]/g, '-')}`;

function lookup(value: unknown, path: string): unknown {
  let at = value;
  for (const key of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function assign(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = target;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    at[key] = next !== null && typeof next === 'object' && !Array.isArray(next) ? { ...next } : {};
    at = at[key] as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (value === undefined) delete at[last];
  else at[last] = value;
}

function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

/**
 * The overrides a submitted form asks for: the current overrides with each form field laid over them. Text that is not
 * a number is refused here, by its field, as the API would name it.
 */
export function overridesFromForm(
  current: Record<string, unknown>,
  form: URLSearchParams,
): { ok: true; overrides: Record<string, unknown> } | { ok: false; problems: FieldIssue[] } {
  const overrides = structuredClone(current);
  delete overrides['paused'];
  const problems: FieldIssue[] = [];
  for (const field of fields) {
    const text = (form.get(field.path) ?? '').trim();
    const name = `policy.${field.path}`;
    let value: unknown;
    if (field.kind === 'boolean') value = form.get(field.path) === 'on';
    else if (text === '') value = undefined;
    else if (field.kind === 'text') value = text;
    else if (field.kind === 'basisPointsList') {
      const parts = text.split(',').map((p) => p.trim());
      value = parts.map(Number);
      if (parts.some((p) => !/^\d+$/.test(p)))
        problems.push({ field: name, message: 'must be whole numbers, comma-separated' });
    } else {
      value = Number(text);
      if (!Number.isFinite(value as number)) problems.push({ field: name, message: 'must be a number' });
      else if (field.kind === 'integer' && !Number.isInteger(value))
        problems.push({ field: name, message: 'must be a whole number' });
    }
    assign(overrides, field.path, value);
  }
  return problems.length ? { ok: false, problems } : { ok: true, overrides };
}

export interface PolicyFormState {
  agentId: string;
  version: number;
  /** The effective policy: what each field shows. */
  policy: Record<string, unknown>;
  /** What was typed, when the form comes back refused. */
  submitted?: URLSearchParams;
  problems?: readonly FieldIssue[];
  /** A refusal that names no field of this form (a conflict, a forbidden role). */
  error?: string | null;
  csrf: string;
  canEdit: boolean;
  saved?: number | null;
}

function input(field: Field, state: PolicyFormState): Html {
  const id = fieldId(field.path);
  const problem = state.problems?.find(
    (p) => p.field === `policy.${field.path}` || p.field.startsWith(`policy.${field.path}.`),
  );
  const value = state.submitted ? (state.submitted.get(field.path) ?? '') : display(lookup(state.policy, field.path));
  const described = [field.hint ? `${id}-hint` : '', problem ? `${id}-error` : ''].filter(Boolean).join(' ');
  const common = html`id="${id}" name="${field.path}"${state.canEdit ? '' : html` disabled`}${problem ? html` aria-invalid="true"` : ''}${described ? html` aria-describedby="${described}"` : ''}`;
  const control =
    field.kind === 'boolean'
      ? html`<input type="checkbox" ${common}${(state.submitted ? value === 'on' : value === 'true') ? html` checked` : ''}>`
      : html`<input type="text" inputmode="${field.kind === 'text' ? 'text' : 'decimal'}" ${common} value="${value}">`;
  return html`<div class="field${problem ? ' invalid' : ''}">
  <label for="${id}">${field.label}</label>${control}
  ${field.hint ? html`<small id="${id}-hint">${field.hint}</small>` : ''}
  ${problem ? html`<p class="error" id="${id}-error">${problem.message}</p>` : ''}
</div>`;
}

export function policyForm(state: PolicyFormState): Html {
  const unplaced = (state.problems ?? []).filter(
    (p) => !fields.some((f) => p.field === `policy.${f.path}` || p.field.startsWith(`policy.${f.path}.`)),
  );
  return html`<section aria-labelledby="policy-heading" class="card">
<h2 id="policy-heading">Policy (version ${state.version})</h2>
${state.saved ? html`<p class="ok" role="status">Saved as version ${state.saved}.</p>` : ''}
${state.error ? html`<p class="error" role="alert">${state.error}</p>` : ''}
${unplaced.map((p) => html`<p class="error" role="alert">${p.field}: ${p.message}</p>`)}
<form method="post" action="/agents/${encodeURIComponent(state.agentId)}/policy" class="policy" novalidate>
  <input type="hidden" name="csrf" value="${state.csrf}">
  <input type="hidden" name="expectedVersion" value="${state.version}">
  <div class="grid">${fields.map((f) => input(f, state))}</div>
  ${
    state.canEdit
      ? html`<label for="policy-reason">Reason</label><input id="policy-reason" name="reason" maxlength="2000">
  <p class="muted">Saving creates version ${state.version + 1}.</p>
  <button type="submit">Save policy</button>`
      : html`<p class="muted">Your role may not change the policy.</p>`
  }
</form>
</section>`;
}
