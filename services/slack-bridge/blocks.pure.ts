import type { ActionsBlock, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import type { ApprovalRequested, ConfidenceSequence, GuardrailTest } from '../../lib/contracts/types.generated.ts';

/** The action ids of the message's buttons and the modal's callback; the interactions endpoint answers to these. */
export const actionIds = { approve: 'approve', approveWithReason: 'approve_with_reason', reject: 'reject' } as const;
export const reasonModalCallback = 'approval_reason';

/** A message's text (the notification and screen-reader fallback) and its Block Kit blocks. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** What happened to a request, as the message tells it once the buttons are gone. */
export interface Outcome {
  kind: 'approved' | 'rejected' | 'expired' | 'withdrawn' | 'paused' | 'ended';
  /** Who: the approver, or the service that made the change. */
  by: string | null;
  /** ISO 8601. */
  at: string;
  reason: string | null;
  /** Where the decision came from (slack, api, cli) when it was a person's. */
  source?: string | null;
}

export type Rendered = { ok: true; message: SlackMessage } | { ok: false; reason: string };

// Slack's limits (https://api.slack.com/reference/block-kit/blocks): section text 3000, header 150, button value 2000.
const maxSectionText = 3000;
const maxHeaderText = 150;
const maxButtonValue = 2000;

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
/** Text from the event shown in mrkdwn: Slack's control characters escaped, so nothing in it becomes a link or mention. */
const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const words = (code: string) => code.replace(/_/g, ' ');
const number = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(3)).toString() : String(x));
const signed = (x: number) => (x > 0 ? `+${number(x)}` : number(x));

/** A date Slack shows in the reader's time zone, with the UTC time as the fallback text. */
export function slackDate(at: Date): string {
  const seconds = Math.floor(at.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} at {time}|${at.toISOString().replace(/\.\d{3}Z$/, 'Z')}>`;
}

function primaryLine(primary: ConfidenceSequence | null): string {
  if (primary === null) return 'no estimate yet (an arm has no data)';
  const level = Math.round((1 - primary.alpha) * 1000) / 10;
  return `${words(primary.metric)} ${signed(primary.estimate)} (${level}% bounds ${signed(primary.lower)} to ${signed(primary.upper)}): ${primary.outcome}`;
}

function guardrailLine(test: GuardrailTest): string {
  return `• ${words(test.metric)}: ${words(test.outcome)} (estimate ${signed(test.estimate)}, bound ${signed(test.bound)}, margin ${number(test.margin)})`;
}

/** Runs per arm, or shadow pairs in shadow mode: the failure measure counts every completed run of an arm. */
function runsLine(request: ApprovalRequested): string {
  const runs = new Map(request.statistics.arms.map((a) => [a.arm, a.failure.n]));
  const shadow = runs.get('shadow');
  if (shadow !== undefined) return `${shadow} shadow pairs`;
  return `baseline ${runs.get('baseline') ?? 0} · candidate ${runs.get('candidate') ?? 0} runs`;
}

const section = (text: string): SectionBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(text, maxSectionText) },
});

/** The request, without its buttons: what the message keeps showing after the request is answered. */
function summaryBlocks(request: ApprovalRequested, pageUrl: string | undefined): KnownBlock[] {
  const reasons = request.riskReasons.map((r) => `• ${words(r.code)}${r.detail ? `: ${escapeText(r.detail)}` : ''}`);
  const guardrails = request.statistics.guardrails.map(guardrailLine);
  const link = pageUrl
    ? ` · <${pageUrl}/approvals/${encodeURIComponent(request.approvalId)}|Open on the learning page>`
    : '';
  const started = request.sessionStartedBy ? ` · session started by ${escapeText(request.sessionStartedBy)}` : '';
  return [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(`Approval needed: ${request.agentId}`, maxHeaderText) },
    },
    section(`*Change*\n${escapeText(request.summary)}`),
    section(
      `*Risk:* ${request.riskTier}${reasons.length > 0 ? `\n${reasons.join('\n')}` : ''}\n*Primary metric:* ${primaryLine(request.statistics.primary)}\n*Guardrails:*${guardrails.length > 0 ? `\n${guardrails.join('\n')}` : ' none'}\n*Runs:* ${runsLine(request)}`,
    ),
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: clip(
            `Expires ${slackDate(request.expiresAt)} · experiment ${escapeText(request.experimentId)} · candidate ${escapeText(request.candidateVersionId)}${started}${link}`,
            maxSectionText,
          ),
        },
      ],
    },
  ];
}

function buttons(approvalId: string): ActionsBlock {
  return {
    type: 'actions',
    block_id: 'decision',
    elements: [
      {
        type: 'button',
        action_id: actionIds.approve,
        style: 'primary',
        text: { type: 'plain_text', text: 'Approve' },
        value: approvalId,
      },
      {
        type: 'button',
        action_id: actionIds.approveWithReason,
        text: { type: 'plain_text', text: 'Approve with a reason…' },
        value: approvalId,
      },
      {
        type: 'button',
        action_id: actionIds.reject,
        style: 'danger',
        text: { type: 'plain_text', text: 'Reject…' },
        value: approvalId,
      },
    ],
  };
}

/** What the outcome says in one line (also the answer to a click on a stale message). */
export function outcomeText(outcome: Outcome): string {
  const by = outcome.by ? ` by ${escapeText(outcome.by)}` : '';
  const via = outcome.source ? ` (${outcome.source})` : '';
  const reason = outcome.reason ? `: ${escapeText(outcome.reason)}` : '';
  const at = slackDate(new Date(outcome.at));
  switch (outcome.kind) {
    case 'approved':
      return `:white_check_mark: Approved${by}${via} ${at}${reason}`;
    case 'rejected':
      return `:x: Rejected${by}${via} ${at}${reason}`;
    case 'expired':
      return `:hourglass: Expired ${at} without a decision: counts as rejected`;
    case 'withdrawn':
      return `:leftwards_arrow_with_hook: Withdrawn${by} ${at}${reason}`;
    case 'paused':
      return `:double_vertical_bar: Paused${by} ${at}${reason}; resume the agent to decide`;
    case 'ended':
      return `:information_source: The experiment ended${by} ${at}${reason}`;
  }
}

/**
 * The message of an approval request: everything an approver needs to decide without leaving Slack, and the buttons
 * (each button's value is the approval id). With an outcome: the same facts, and what happened instead of the buttons.
 */
export function renderRequest(
  request: ApprovalRequested,
  pageUrl: string | undefined,
  outcome: Outcome | null,
): Rendered {
  if (request.approvalId === '' || request.approvalId.length > maxButtonValue)
    return { ok: false, reason: `approvalId: must be 1 to ${maxButtonValue} characters to fit a button's value` };
  if (request.summary.trim() === '')
    return { ok: false, reason: 'summary: is empty, the message would not say what changes' };
  if (Number.isNaN(request.expiresAt.getTime())) return { ok: false, reason: 'expiresAt: is not a date' };
  const blocks = summaryBlocks(request, pageUrl);
  const text = `Approval needed: ${request.agentId} (${request.riskTier} risk): ${clip(request.summary, 200)}`;
  return { ok: true, message: withOutcome({ text, blocks }, outcome, request.approvalId) };
}

/** A rendered message with its last part replaced: the buttons while pending, else what happened (a pause too). */
export function withOutcome(summary: SlackMessage, outcome: Outcome | null, approvalId: string): SlackMessage {
  const blocks = summary.blocks.filter((b) => b.type !== 'actions' && b.block_id !== 'outcome');
  const last: KnownBlock =
    outcome === null ? buttons(approvalId) : { ...section(outcomeText(outcome)), block_id: 'outcome' };
  return { text: summary.text, blocks: [...blocks, last] };
}

/** The modal a Reject (reason required) or an Approve with a reason (optional) opens; its metadata names the approval. */
export function reasonModal(decision: 'approved' | 'rejected', metadata: string): ModalView {
  return {
    type: 'modal',
    callback_id: reasonModalCallback,
    private_metadata: metadata,
    title: { type: 'plain_text', text: decision === 'rejected' ? 'Reject the change' : 'Approve the change' },
    submit: { type: 'plain_text', text: decision === 'rejected' ? 'Reject' : 'Approve' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: 'reason',
        optional: decision === 'approved',
        label: { type: 'plain_text', text: decision === 'rejected' ? 'Why reject it?' : 'Why approve it? (optional)' },
        element: { type: 'plain_text_input', action_id: 'reason', multiline: true, max_length: 2000 },
      },
    ],
  };
}
