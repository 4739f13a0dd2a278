import { describe, expect, it } from 'vitest';
import type { ApprovalRequested } from '../../../lib/contracts/types.generated.ts';
import {
  actionIds,
  outcomeText,
  reasonModal,
  renderRequest,
  withOutcome,
} from '../../../services/slack-bridge/blocks.pure.ts';
import { sampleEvents } from '../../fixtures/events.ts';

const base = sampleEvents()['learning.approval.requested.v1'] as ApprovalRequested;
const request: ApprovalRequested = {
  ...base,
  statistics: {
    ...base.statistics,
    primary: { metric: 'score', estimate: 0.0312, lower: 0.0051, upper: 0.0573, alpha: 0.05, outcome: 'better' },
    guardrails: [{ metric: 'failure_rate', margin: 0.02, estimate: -0.004, bound: 0.011, outcome: 'non_inferior' }],
  },
  sessionStartedBy: 'ann',
};
const textOf = (blocks: unknown) => JSON.stringify(blocks);

function rendered(r: ApprovalRequested, pageUrl?: string) {
  const result = renderRequest(r, pageUrl, null);
  if (!result.ok) throw new Error(result.reason);
  return result.message;
}

describe("an approval request's message", () => {
  it('says everything an approver needs: agent, change, risk and reasons, estimate with bounds, guardrails, runs, expiry', () => {
    const text = textOf(rendered(request).blocks);
    expect(text).toContain(`Approval needed: ${request.agentId}`);
    expect(text).toContain(request.summary);
    expect(text).toContain('*Risk:* high');
    expect(text).toContain('model changed: gpt-4o -&gt; gpt-4.1');
    expect(text).toContain('score +0.0312 (95% bounds +0.0051 to +0.0573): better');
    expect(text).toContain('failure rate: non inferior (estimate -0.004, bound +0.011, margin 0.02)');
    expect(text).toMatch(/baseline \d+ · candidate \d+ runs/);
    expect(text).toContain(`<!date^${Math.floor(request.expiresAt.getTime() / 1000)}^`);
    expect(text).toContain('session started by ann');
  });

  it('has Approve and Reject buttons whose value is the approval id', () => {
    const actions = rendered(request).blocks.find((b) => b.type === 'actions');
    expect(actions).toBeDefined();
    const elements = (actions as { elements: { action_id: string; value: string }[] }).elements;
    expect(elements.map((e) => e.action_id)).toEqual([
      actionIds.approve,
      actionIds.approveWithReason,
      actionIds.reject,
    ]);
    for (const e of elements) expect(e.value).toBe(request.approvalId);
  });

  it('links to the learning page only when its URL is configured', () => {
    expect(textOf(rendered(request).blocks)).not.toContain('/approvals/');
    expect(textOf(rendered(request, 'https://learn.example').blocks)).toContain(
      `<https://learn.example/approvals/${request.approvalId}|Open on the learning page>`,
    );
  });

  it('counts shadow pairs in shadow mode', () => {
    const shadow = {
      ...request,
      statistics: {
        ...request.statistics,
        arms: request.statistics.arms.map((a, i) =>
          i === 1 ? { ...a, arm: 'shadow' as const, failure: { ...a.failure, n: 42 } } : a,
        ),
      },
    };
    expect(textOf(rendered(shadow).blocks)).toContain('42 shadow pairs');
  });

  it('escapes what the event says, so a summary cannot mention or link', () => {
    const text = textOf(rendered({ ...request, summary: '<!channel> see <https://evil|here> & more' }).blocks);
    expect(text).toContain('&lt;!channel&gt; see &lt;https://evil|here&gt; &amp; more');
    expect(text).not.toContain('<!channel>');
  });

  it('says there is no estimate yet when an arm has no data', () => {
    const text = textOf(rendered({ ...request, statistics: { ...request.statistics, primary: null } }).blocks);
    expect(text).toContain('no estimate yet');
  });

  it('refuses what cannot be rendered, naming the field', () => {
    expect(renderRequest({ ...request, summary: '  ' }, undefined, null)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^summary:/),
    });
    expect(renderRequest({ ...request, approvalId: 'a'.repeat(2001) }, undefined, null)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^approvalId:/),
    });
    expect(renderRequest({ ...request, expiresAt: new Date(Number.NaN) }, undefined, null)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^expiresAt:/),
    });
  });

  it('keeps within Slack limits however long the summary', () => {
    const blocks = rendered({ ...request, summary: 'x'.repeat(10_000) }).blocks;
    for (const b of blocks) if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(3000);
  });
});

describe('a message after the request is answered', () => {
  const at = '2026-03-01T12:00:00.000Z';
  it('replaces the buttons with what happened, who and when, keeping the facts', () => {
    const message = rendered(request);
    const after = withOutcome(
      message,
      { kind: 'approved', by: 'bob', at, reason: 'looks good', source: 'slack' },
      request.approvalId,
    );
    expect(after.blocks.some((b) => b.type === 'actions')).toBe(false);
    const text = textOf(after.blocks);
    expect(text).toContain('Approved by bob (slack) <!date^1772366400^');
    expect(text).toContain('looks good');
    expect(text).toContain(request.summary);
    expect(after.blocks).toHaveLength(message.blocks.length);
  });

  it('shows the buttons again when a pause ends, and replaces one outcome by the next', () => {
    const message = rendered(request);
    const paused = withOutcome(message, { kind: 'paused', by: 'ops', at, reason: null }, request.approvalId);
    expect(paused.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(textOf(paused.blocks)).toContain('resume the agent to decide');
    expect(withOutcome(paused, null, request.approvalId)).toEqual(message);
    const expired = withOutcome(paused, { kind: 'expired', by: null, at, reason: null }, request.approvalId);
    expect(expired.blocks.filter((b) => b.block_id === 'outcome')).toHaveLength(1);
  });

  it('tells every outcome in words', () => {
    const kinds = ['approved', 'rejected', 'expired', 'withdrawn', 'paused', 'ended'] as const;
    const lines = kinds.map((kind) => outcomeText({ kind, by: 'x', at, reason: null }));
    expect(new Set(lines).size).toBe(kinds.length);
    expect(outcomeText({ kind: 'expired', by: null, at, reason: null })).toContain('counts as rejected');
  });
});

describe('the reason modal', () => {
  it('requires a reason to reject and makes it optional to approve', () => {
    const reject = reasonModal('rejected', '{}');
    const approve = reasonModal('approved', '{}');
    expect((reject.blocks[0] as { optional?: boolean }).optional).toBe(false);
    expect((approve.blocks[0] as { optional?: boolean }).optional).toBe(true);
    expect(reject.private_metadata).toBe('{}');
  });
});
