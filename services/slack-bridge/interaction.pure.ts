import { z } from 'zod';
import { fieldIssues } from '../../lib/field-issues.ts';
import { actionIds, reasonModalCallback } from './blocks.pure.ts';

/**
 * What the bridge reads of Slack's interaction payloads (https://api.slack.com/reference/interaction-payloads): a
 * button click on a request's message, and the submission of the reason modal. Anything else is answered 200 and
 * ignored, as Slack expects of an app that does not handle it.
 */
const user = z.object({ id: z.string().min(1) });

const blockActions = z.object({
  type: z.literal('block_actions'),
  user,
  trigger_id: z.string().min(1),
  response_url: z.string().optional(),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
  actions: z
    .array(
      z.object({
        action_id: z.enum([actionIds.approve, actionIds.approveWithReason, actionIds.reject]),
        value: z.string().min(1),
        action_ts: z.string().optional(),
      }),
    )
    .length(1),
});

/** What the modal carries from the click to its submission. */
export const modalMetadata = z.object({
  approvalId: z.string().min(1),
  decision: z.enum(['approved', 'rejected']),
  channel: z.string().nullable(),
  responseUrl: z.string().nullable(),
});
export type ModalMetadata = z.infer<typeof modalMetadata>;

const viewSubmission = z.object({
  type: z.literal('view_submission'),
  user,
  view: z.object({
    callback_id: z.literal(reasonModalCallback),
    private_metadata: z.string(),
    state: z.object({
      values: z.object({
        reason: z.object({ reason: z.object({ value: z.string().nullish() }) }),
      }),
    }),
  }),
});

export type Interaction =
  | {
      kind: 'click';
      userId: string;
      approvalId: string;
      action: (typeof actionIds)[keyof typeof actionIds];
      triggerId: string;
      responseUrl: string | null;
      channel: string | null;
    }
  | { kind: 'submit'; userId: string; metadata: ModalMetadata; reason: string | null }
  | { kind: 'other'; type: string };

export type ParsedInteraction = { ok: true; interaction: Interaction } | { ok: false; error: string };

/** The form-encoded body Slack posts (`payload=<json>`), read into one of the interactions the bridge handles. */
export function parseInteraction(rawBody: string): ParsedInteraction {
  const payload = new URLSearchParams(rawBody).get('payload');
  if (payload === null) return { ok: false, error: 'payload: missing from the form-encoded body' };
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { ok: false, error: 'payload: is not JSON' };
  }
  const type = (json as { type?: unknown } | null)?.type;
  if (type === 'block_actions') {
    const parsed = blockActions.safeParse(json);
    if (!parsed.success) return { ok: false, error: describe(parsed.error) };
    const p = parsed.data;
    const action = p.actions[0]!;
    return {
      ok: true,
      interaction: {
        kind: 'click',
        userId: p.user.id,
        approvalId: action.value,
        action: action.action_id,
        triggerId: p.trigger_id,
        responseUrl: p.response_url ?? null,
        channel: p.container?.channel_id ?? null,
      },
    };
  }
  if (type === 'view_submission') {
    const parsed = viewSubmission.safeParse(json);
    if (!parsed.success) return { ok: false, error: describe(parsed.error) };
    let metadata: unknown;
    try {
      metadata = JSON.parse(parsed.data.view.private_metadata);
    } catch {
      return { ok: false, error: 'payload.view.private_metadata: is not JSON' };
    }
    const meta = modalMetadata.safeParse(metadata);
    if (!meta.success) return { ok: false, error: describe(meta.error, 'payload.view.private_metadata') };
    const reason = parsed.data.view.state.values.reason.reason.value?.trim() || null;
    return { ok: true, interaction: { kind: 'submit', userId: parsed.data.user.id, metadata: meta.data, reason } };
  }
  return { ok: true, interaction: { kind: 'other', type: typeof type === 'string' ? type : 'unknown' } };
}

function describe(error: z.ZodError, prefix = 'payload'): string {
  return fieldIssues(error, '')
    .map((i) => `${i.field === '' ? prefix : `${prefix}.${i.field}`}: ${i.message}`)
    .join('; ');
}
