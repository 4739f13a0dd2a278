import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { slackSignature } from '../../services/slack-bridge/signature.pure.ts';

/** A call the server received, as Slack would see it. */
export interface SlackCall {
  method: string;
  args: Record<string, any>;
}

/**
 * A local server that speaks the part of Slack's Web API the bridge uses (chat.postMessage, chat.update,
 * chat.postEphemeral, views.open): bearer-token auth (`invalid_auth` otherwise), `ok: false` errors, 429 with
 * Retry-After on demand. It keeps the channel's messages as Slack would, and sends interactions signed as Slack signs
 * them.
 */
export interface SlackServer {
  /** The Web API's base URL, for LEARNLOOP_SLACK_API_URL. */
  apiUrl: string;
  token: string;
  signingSecret: string;
  channel: string;
  calls: SlackCall[];
  /** Messages by ts, as they stand after every update. */
  messages: Map<string, { channel: string; text: string; blocks: any[] }>;
  /** The next `count` calls of `method` answer 429 with Retry-After: `seconds`. */
  rateLimit(method: string, count: number, seconds: number): void;
  /** The next `count` calls of `method` answer `ok: false` with `error`. */
  fail(method: string, count: number, error: string): void;
  /** While true every call gets a 503 (Slack unreachable for the client's purposes). */
  down: boolean;
  /** Posts an interaction payload to `url`, signed (or with what `forge` gives); returns the status. */
  interact(
    url: string,
    payload: unknown,
    options?: { timestamp?: number; signature?: string; secret?: string },
  ): Promise<number>;
  close(): Promise<void>;
}

function readForm(req: IncomingMessage): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if ((req.headers['content-type'] ?? '').includes('application/json')) return resolve(JSON.parse(text || '{}'));
      const out: Record<string, any> = {};
      for (const [k, v] of new URLSearchParams(text)) {
        try {
          out[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
        } catch {
          out[k] = v;
        }
      }
      resolve(out);
    });
  });
}

export async function startSlackServer(
  options: { token?: string; signingSecret?: string; channel?: string } = {},
): Promise<SlackServer> {
  const token = options.token ?? 'xoxb-test-token';
  const signingSecret = options.signingSecret ?? 'test-signing-secret-0123456789';
  const channel = options.channel ?? 'C0LEARNLOOP';
  const calls: SlackCall[] = [];
  const messages = new Map<string, { channel: string; text: string; blocks: any[] }>();
  const limits = new Map<string, { count: number; seconds: number }>();
  const failures = new Map<string, { count: number; error: string }>();
  let seq = 0;

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

  const server = createServer((req, res) => {
    void (async () => {
      const method = (req.url ?? '/').replace(/^\/api\//, '').replace(/\?.*$/, '');
      const args = await readForm(req);
      if (server_.down) return send(res, 503, { ok: false, error: 'service_unavailable' });
      const limit = limits.get(method);
      if (limit && limit.count > 0) {
        limit.count -= 1;
        return send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit.seconds) });
      }
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 200, { ok: false, error: 'invalid_auth' });
      calls.push({ method, args });
      const failure = failures.get(method);
      if (failure && failure.count > 0) {
        failure.count -= 1;
        return send(res, 200, { ok: false, error: failure.error });
      }
      const blocks = typeof args['blocks'] === 'string' ? JSON.parse(args['blocks']) : args['blocks'];
      switch (method) {
        case 'chat.postMessage': {
          if (args['channel'] !== channel) return send(res, 200, { ok: false, error: 'channel_not_found' });
          seq += 1;
          const ts = `1700000000.${String(seq).padStart(6, '0')}`;
          messages.set(ts, { channel, text: args['text'], blocks });
          return send(res, 200, { ok: true, channel, ts, message: { text: args['text'] } });
        }
        case 'chat.update': {
          const message = messages.get(args['ts']);
          if (!message || args['channel'] !== message.channel)
            return send(res, 200, { ok: false, error: 'message_not_found' });
          messages.set(args['ts'], { channel: message.channel, text: args['text'], blocks });
          return send(res, 200, { ok: true, channel: message.channel, ts: args['ts'] });
        }
        case 'chat.postEphemeral':
          return send(res, 200, { ok: true, message_ts: `1700000001.${String(++seq).padStart(6, '0')}` });
        case 'views.open':
          if (!args['trigger_id']) return send(res, 200, { ok: false, error: 'invalid_trigger_id' });
          return send(res, 200, { ok: true, view: { id: `V${++seq}` } });
        default:
          return send(res, 200, { ok: false, error: 'unknown_method' });
      }
    })().catch((err: unknown) => send(res, 500, { ok: false, error: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const server_: SlackServer = {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    token,
    signingSecret,
    channel,
    calls,
    messages,
    down: false,
    rateLimit: (method, count, seconds) => void limits.set(method, { count, seconds }),
    fail: (method, count, error) => void failures.set(method, { count, error }),
    async interact(url, payload, opts = {}) {
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
      const signature = opts.signature ?? slackSignature(opts.secret ?? signingSecret, timestamp, body);
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': timestamp,
          'x-slack-signature': signature,
        },
        body,
      });
      await response.text();
      return response.status;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
  return server_;
}

/** The payload of a click on a message's button, as Slack sends it. */
export function clickPayload(userId: string, actionId: string, approvalId: string, channel: string, triggerId = 't1') {
  return {
    type: 'block_actions',
    user: { id: userId },
    trigger_id: triggerId,
    container: { channel_id: channel, message_ts: '0' },
    actions: [{ action_id: actionId, value: approvalId, action_ts: String(Date.now() / 1000) }],
  };
}

/** The payload of the reason modal's submission. */
export function submitPayload(userId: string, metadata: unknown, reason: string | null) {
  return {
    type: 'view_submission',
    user: { id: userId },
    view: {
      callback_id: 'approval_reason',
      private_metadata: JSON.stringify(metadata),
      state: { values: { reason: { reason: { value: reason } } } },
    },
  };
}
