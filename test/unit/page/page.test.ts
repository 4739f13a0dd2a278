import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentsQueryString } from '../../../services/control-plane/page/agents.pure.ts';
import { inWords, thinPoints, type VerdictPoint } from '../../../services/control-plane/page/experiment.pure.ts';
import { escapeHtml, html, jsonBlock, path, raw } from '../../../services/control-plane/page/html.pure.ts';
import { overridesFromForm, policyForm } from '../../../services/control-plane/page/policy-form.pure.ts';

describe('html', () => {
  it('escapes every interpolated string, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = html`<p title="${s}">${s}</p>`.text;
        expect(out).toBe(`<p title="${escapeHtml(s)}">${escapeHtml(s)}</p>`);
        expect(escapeHtml(s)).not.toMatch(/[<>"']/);
      }),
    );
    expect(html`${'<script>alert(1)</script>'}`.text).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
  it('keeps Html and raw text as they are, joins arrays, drops null, undefined and false', () => {
    expect(html`<ul>${['a<', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.text).toBe(
      '<ul><li>a&lt;</li><li>b</li></ul>',
    );
    expect(html`${raw('<b>')}${null}${undefined}${false}${0}`.text).toBe('<b>0');
  });
  it('writes JSON that no string can close the script element with', () => {
    const out = jsonBlock('d', { s: '</script><script>x' }).text;
    expect(out).not.toContain('</script><script>');
    expect(JSON.parse(out.slice(out.indexOf('>') + 1, out.lastIndexOf('</script>')))).toEqual({
      s: '</script><script>x',
    });
  });
  it('percent-encodes path segments', () => {
    expect(path('agents', 'a/b c', 'experiments', 'x?y')).toBe('/agents/a%2Fb%20c/experiments/x%3Fy');
  });
});

describe('the policy form', () => {
  const form = (fields: Record<string, string>) => new URLSearchParams(fields);
  it('lays the typed fields over the current overrides, an empty field falling back to the default', () => {
    const result = overridesFromForm(
      { trigger: { minRuns: 100, cooldownMs: 5 }, paused: true, generator: { kind: 'playbook' } },
      form({
        'trigger.failureRateAbove': '0.3',
        'trigger.minRuns': '',
        'experiment.rampBasisPoints': '100, 200',
        'schedule.enabled': 'on',
      }),
    );
    expect(result).toEqual({
      ok: true,
      overrides: {
        trigger: { failureRateAbove: 0.3, cooldownMs: 5 },
        generator: { kind: 'playbook' },
        experiment: { rampBasisPoints: [100, 200], guardrailMargins: {} },
        schedule: { enabled: true },
        promotion: { autoPromoteLowRisk: false },
      },
    });
  });
  it('names each field that is not a number', () => {
    const result = overridesFromForm(
      {},
      form({ 'trigger.failureRateAbove': 'high', 'trigger.minRuns': '1.5', 'experiment.rampBasisPoints': '5,x' }),
    );
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems.map((p) => p.field)).toEqual([
        'policy.trigger.failureRateAbove',
        'policy.trigger.minRuns',
        'policy.experiment.rampBasisPoints',
      ]);
  });
  it('shows a problem beside its field, and offers no button to a role that may not edit', () => {
    const state = { agentId: 'a', version: 3, policy: { trigger: { failureRateAbove: 0.2 } }, csrf: 'c' };
    const refused = policyForm({
      ...state,
      canEdit: true,
      submitted: form({ 'trigger.failureRateAbove': '5' }),
      problems: [{ field: 'policy.trigger.failureRateAbove', message: 'too big' }],
    }).text;
    expect(refused).toContain('id="policy-trigger-failureRateAbove-error">too big<');
    expect(refused).toContain('aria-invalid="true"');
    expect(refused).toContain('creates version 4');
    const viewer = policyForm({ ...state, canEdit: false }).text;
    expect(viewer).not.toContain('<button');
    expect(viewer).toContain('value="0.2"');
  });
});

describe('the experiment page', () => {
  it('thins the chart to about the maximum, keeping every decision and the last point', () => {
    const points: VerdictPoint[] = Array.from({ length: 5000 }, (_, i) => ({
      at: new Date(i * 1000).toISOString(),
      estimate: 0,
      lower: 0,
      upper: 0,
      action: i === 1234 || i === 4001 ? 'ramp' : 'continue',
      reasons: [],
      chanceToWin: null,
    }));
    const thin = thinPoints(points, 1000);
    expect(thin.length).toBeLessThanOrEqual(1003);
    expect(thin.filter((p) => p.action === 'ramp')).toHaveLength(2);
    expect(thin.at(-1)).toBe(points.at(-1));
    expect(thinPoints(points.slice(0, 10), 1000)).toHaveLength(10);
  });
  it('says reasons in words, with their detail', () => {
    expect(inWords({ code: 'sample_ratio_mismatch', detail: 'p=0.0001' })).toContain('sample-ratio mismatch');
    expect(inWords({ code: 'sample_ratio_mismatch', detail: 'p=0.0001' })).toContain('(p=0.0001)');
    expect(inWords({ code: 'something_new', detail: null })).toBe('something_new');
  });
});

describe('the agents list', () => {
  it('keeps filters and sort in its links, and leaves out an offset of zero', () => {
    const query = {
      q: 'bot',
      mode: 'paused' as const,
      sort: 'name' as const,
      order: 'asc' as const,
      offset: 50,
      limit: 50,
    };
    expect(agentsQueryString(query)).toBe('?q=bot&mode=paused&sort=name&order=asc&offset=50');
    expect(agentsQueryString(query, { offset: 0, order: 'desc' })).toBe('?q=bot&mode=paused&sort=name&order=desc');
  });
});
