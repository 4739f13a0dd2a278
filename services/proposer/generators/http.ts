import type { LearningPolicy } from '../../../lib/policy/policy.ts';
import { describeFetchError, readBounded } from './fetch.ts';
import { parseProposals, type Generator } from './types.pure.ts';

/** POSTs `{report, baseline}` to the configured URL and takes back `{proposals: [...]}`. */
export function httpGenerator(settings: LearningPolicy['generator']): Generator {
  return {
    name: 'http',
    async generate(report, baseline) {
      try {
        const response = await fetch(settings.url!, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ report, baseline }),
          signal: AbortSignal.timeout(settings.timeoutMs),
        });
        const body = await readBounded(response, settings.maxResponseBytes);
        if (!body.ok) return body;
        if (!response.ok)
          return { ok: false, reason: `generator answered ${response.status}: ${body.text.slice(0, 200)}` };
        let json: unknown;
        try {
          json = JSON.parse(body.text);
        } catch {
          return { ok: false, reason: 'generator answered with something that is not JSON' };
        }
        return parseProposals(json, settings.maxCandidates);
      } catch (err) {
        return { ok: false, reason: `generator request failed: ${describeFetchError(err, settings.timeoutMs)}` };
      }
    },
  };
}
