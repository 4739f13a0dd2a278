import { describe, expect, it } from 'vitest';
import type { ExperimentView } from '../../../lib/api/schemas.ts';
import { fieldChanges, proposalCard } from '../../../services/control-plane/page/diff.pure.ts';

describe('the configuration diff', () => {
  it('names each changed field with its value before and after', () => {
    expect(
      fieldChanges([
        { part: 'instructions', before: 'be helpful', after: 'be helpful and cite sources' },
        {
          part: 'parameters',
          before: { temperature: 0.7, maxTokens: 500 },
          after: { temperature: 0.3, maxTokens: 500, topP: 0.9 },
        },
        { part: 'model', before: 'm1', after: 'm2' },
      ]),
    ).toEqual([
      { field: 'instructions', before: 'be helpful', after: 'be helpful and cite sources' },
      { field: 'parameters.temperature', before: '0.7', after: '0.3' },
      { field: 'parameters.topP', before: null, after: '0.9' },
      { field: 'model', before: 'm1', after: 'm2' },
    ]);
  });
  it('compares named list items (tools, guardrails) by name, and other lists whole', () => {
    expect(
      fieldChanges([
        {
          part: 'tools',
          before: [{ name: 'search', timeoutMs: 1000 }, { name: 'calc' }],
          after: [{ name: 'search', timeoutMs: 2000 }, { name: 'mail' }],
        },
        { part: 'guardrails', before: ['pii'], after: ['pii', 'toxicity'] },
        { part: 'memory', before: { keep: [1, 2] }, after: { keep: [2, 1] } },
      ]),
    ).toEqual([
      { field: 'tools[search].timeoutMs', before: '1000', after: '2000' },
      { field: 'tools[calc]', before: '{"name":"calc"}', after: null },
      { field: 'tools[mail]', before: null, after: '{"name":"mail"}' },
      { field: 'guardrails[toxicity]', before: null, after: 'toxicity' },
      { field: 'memory.keep', before: '[1,2]', after: '[2,1]' },
    ]);
  });
  it('finds nothing where nothing differs, and a part added or removed whole', () => {
    expect(fieldChanges([{ part: 'parameters', before: { t: 1 }, after: { t: 1 } }])).toEqual([]);
    expect(fieldChanges([{ part: 'tools', before: null, after: [{ name: 'a' }, { name: 'a' }] }])).toEqual([
      { field: 'tools', before: null, after: '[{"name":"a"},{"name":"a"}]' },
    ]);
  });
  it('renders the tier, its reasons in words and the diff, every value escaped', () => {
    const proposal: ExperimentView['proposal'] = {
      id: 'p1',
      riskTier: 'high',
      autoEligible: false,
      summary: 'switch model',
      baselineVersionId: 'b',
      candidateVersionId: 'c',
      riskReasons: [{ code: 'model_changed', detail: 'm1 → m2' }],
      changes: [{ part: 'model', before: 'm1', after: '<m2>' }],
    };
    const text = proposalCard(proposal).text;
    expect(text).toContain('<span class="badge tier-high">high risk</span>');
    expect(text).toContain('<li>the model changes (m1 → m2)</li>');
    expect(text).toContain(
      '<td><code>model</code></td><td><del><pre class="value">m1</pre></del></td><td><ins><pre class="value">&lt;m2&gt;</pre></ins></td>',
    );
    expect(proposalCard({ ...proposal, riskReasons: [], changes: [] }).text).toContain('configurations are the same');
  });
});
