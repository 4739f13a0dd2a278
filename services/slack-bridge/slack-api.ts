import type { KnownBlock, ModalView } from '@slack/types';
import { ErrorCode, LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from '../../lib/logging.ts';
import type { SlackMetrics } from './metrics.ts';

/** Slack errors that only a person can fix, and the variable to look at (docs/slack-bridge.md). */
const misconfigured: Readonly<Record<string, string>> = {
  invalid_auth: 'LEARNLOOP_SLACK_BOT_TOKEN',
  not_authed: 'LEARNLOOP_SLACK_BOT_TOKEN',
  account_inactive: 'LEARNLOOP_SLACK_BOT_TOKEN',
  token_revoked: 'LEARNLOOP_SLACK_BOT_TOKEN',
  missing_scope: 'LEARNLOOP_SLACK_BOT_TOKEN',
  channel_not_found: 'LEARNLOOP_SLACK_CHANNEL',
  not_in_channel: 'LEARNLOOP_SLACK_CHANNEL',
  is_archived: 'LEARNLOOP_SLACK_CHANNEL',
};

/**
 * A Slack call that failed in a way waiting can cure (unreachable, rate-limited beyond the client's retries, 5xx) or
 * a person must (misconfigured): `retriable` makes the consumer runtime pause the partition and try again later
 * (lib/kafka/retry.ts), so nothing is lost or posted twice.
 */
export class SlackUnavailable extends Error {
  readonly retriable = true;
  readonly code: string;
  constructor(method: string, code: string, cause: unknown) {
    super(`Slack ${method} failed: ${code}`, { cause });
    this.name = 'SlackUnavailable';
    this.code = code;
  }
}

/** Slack answered `ok: false` with an error waiting cannot cure (message_not_found, invalid_blocks, ...). */
export class SlackRefused extends Error {
  readonly code: string;
  constructor(method: string, code: string) {
    super(`Slack ${method} refused: ${code}`);
    this.name = 'SlackRefused';
    this.code = code;
  }
}

export interface SlackApi {
  postMessage(channel: string, text: string, blocks: KnownBlock[]): Promise<{ channel: string; ts: string }>;
  update(channel: string, ts: string, text: string, blocks: KnownBlock[]): Promise<void>;
  postEphemeral(channel: string, user: string, text: string): Promise<void>;
  openView(triggerId: string, view: ModalView): Promise<void>;
  /** False after a misconfiguration error, until a call succeeds again: the bridge's readiness. */
  healthy(): boolean;
}

function slackLogger(log: Logger): SlackLogger {
  const line = (parts: unknown[]) => parts.map(String).join(' ');
  return {
    debug: (...m) => log.debug(line(m)),
    info: (...m) => log.info(line(m)),
    warn: (...m) => log.warn(line(m)),
    error: (...m) => log.error(line(m)),
    setLevel: () => {},
    getLevel: () => LogLevel.INFO,
    setName: () => {},
  };
}

/**
 * The Web API through the official client: it retries unreachable and 5xx answers with exponential backoff and waits
 * out a 429's Retry-After (rejectRateLimitedCalls false), as Slack documents; what still fails is classified here.
 */
export function slackApi(options: {
  token: string;
  apiUrl: string;
  logger: Logger;
  metrics: SlackMetrics;
  /** The client's own retries before the partition's backoff takes over; tests shorten them. */
  retries?: { retries: number; minTimeout: number; maxTimeout: number };
}): SlackApi {
  const { logger, metrics } = options;
  const retries = options.retries ?? { retries: 5, minTimeout: 1_000, maxTimeout: 30_000 };
  const client = new WebClient(options.token, {
    slackApiUrl: options.apiUrl,
    logger: slackLogger(logger.child({ component: 'slack-web-api' })),
    retryConfig: { ...retries, factor: 2, randomize: true },
    rejectRateLimitedCalls: false,
    timeout: 10_000,
  });
  let healthy = true;

  async function call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      healthy = true;
      return result;
    } catch (err) {
      const code = codeOf(err);
      metrics.apiErrors.inc({ code });
      const variable = misconfigured[code];
      if (variable) {
        healthy = false;
        logger.error(`Slack refuses ${method} with ${code}: check ${variable}`, { code, variable });
        throw new SlackUnavailable(method, code, err);
      }
      if ((err as { code?: unknown }).code === ErrorCode.PlatformError) throw new SlackRefused(method, code);
      logger.warn(`Slack ${method} failed after the client's retries (${code}); will retry`, { code });
      throw new SlackUnavailable(method, code, err);
    }
  }

  return {
    healthy: () => healthy,
    async postMessage(channel, text, blocks) {
      const result = await call('chat.postMessage', () => client.chat.postMessage({ channel, text, blocks }));
      if (!result.channel || !result.ts) throw new SlackRefused('chat.postMessage', 'no channel or ts in the answer');
      return { channel: result.channel, ts: result.ts };
    },
    async update(channel, ts, text, blocks) {
      await call('chat.update', () => client.chat.update({ channel, ts, text, blocks }));
    },
    async postEphemeral(channel, user, text) {
      await call('chat.postEphemeral', () => client.chat.postEphemeral({ channel, user, text }));
    },
    async openView(triggerId, view) {
      await call('views.open', () => client.views.open({ trigger_id: triggerId, view }));
    },
  };
}

function codeOf(err: unknown): string {
  const e = err as { code?: unknown; data?: { error?: unknown }; statusCode?: unknown };
  switch (e.code) {
    case ErrorCode.PlatformError:
      return typeof e.data?.error === 'string' ? e.data.error : 'platform_error';
    case ErrorCode.RateLimitedError:
      return 'ratelimited';
    case ErrorCode.HTTPError:
      return typeof e.statusCode === 'number' && e.statusCode >= 500 ? 'http_5xx' : `http_${String(e.statusCode)}`;
    case ErrorCode.RequestError:
      return 'unreachable';
    default:
      return 'unexpected';
  }
}
