import { describe, expect, it } from 'vitest';
import { parseInteraction } from '../../../services/slack-bridge/interaction.pure.ts';

const form = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
const click = (action_id: string, value = 'appr-1') => ({
  type: 'block_actions',
  user: { id: 'U123' },
  trigger_id: 'trig-1',
  response_url: 'http://slack.local/respond/1',
  container: { channel_id: 'C1', message_ts: '1.2' },
  actions: [{ action_id, value, action_ts: '3.4' }],
});
const metadata = { approvalId: 'appr-1', decision: 'rejected', channel: 'C1', responseUrl: null };
const submit = (value: string | null, meta: unknown = metadata) => ({
  type: 'view_submission',
  user: { id: 'U123' },
  view: {
    callback_id: 'approval_reason',
    private_metadata: JSON.stringify(meta),
    state: { values: { reason: { reason: { value } } } },
  },
});

describe("Slack's interaction payloads", () => {
  it('reads a click on a button: who, which approval, which action, and how to answer', () => {
    expect(parseInteraction(form(click('approve')))).toEqual({
      ok: true,
      interaction: {
        kind: 'click',
        userId: 'U123',
        approvalId: 'appr-1',
        action: 'approve',
        triggerId: 'trig-1',
        responseUrl: 'http://slack.local/respond/1',
        channel: 'C1',
      },
    });
  });

  it('reads a modal submission with its reason, blank reasons as none', () => {
    expect(parseInteraction(form(submit(' too risky ')))).toMatchObject({
      ok: true,
      interaction: { kind: 'submit', userId: 'U123', metadata, reason: 'too risky' },
    });
    expect(parseInteraction(form(submit('  ')))).toMatchObject({ ok: true, interaction: { reason: null } });
    expect(parseInteraction(form(submit(null)))).toMatchObject({ ok: true, interaction: { reason: null } });
  });

  it('lets other interaction types through as other', () => {
    expect(parseInteraction(form({ type: 'shortcut' }))).toEqual({
      ok: true,
      interaction: { kind: 'other', type: 'shortcut' },
    });
  });

  it('names the field of a malformed payload', () => {
    expect(parseInteraction('foo=bar')).toEqual({ ok: false, error: 'payload: missing from the form-encoded body' });
    expect(parseInteraction('payload=%7B')).toEqual({ ok: false, error: 'payload: is not JSON' });
    expect(parseInteraction(form(click('delete')))).toMatchObject({
      ok: false,
      error: expect.stringContaining('payload.actions.0.action_id'),
    });
    expect(parseInteraction(form({ ...click('approve'), user: {} }))).toMatchObject({
      ok: false,
      error: expect.stringContaining('payload.user.id'),
    });
    expect(parseInteraction(form(submit('x', { approvalId: '' })))).toMatchObject({
      ok: false,
      error: expect.stringContaining('payload.view.private_metadata.approvalId'),
    });
  });
});
