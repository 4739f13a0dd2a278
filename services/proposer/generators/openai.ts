import { z } from 'zod';
import type { LearningPolicy } from '../../../lib/policy/policy.ts';
import { describeFetchError, readBounded } from './fetch.ts';
import { parseProposals, type Generator } from './types.pure.ts';

const instructions = `You improve an AI agent's configuration from evidence of how it is failing.
You receive JSON with "report" (the failure signals: thresholds crossed, failure categories with example runs, the
window's figures) and "baseline" (the agent's configuration: instructions, model, tools, memory, guardrails,
parameters). Answer with one JSON object and nothing else:
{"proposals": [{"summary": "<what and why, for a human>", "change": {<only the configuration parts you change, each
given whole>}, "projectedCostDeltaUsd": <expected change of cost per run in USD, or null>}]}
Prefer the smallest change that addresses the most frequent failure; an edit of the instructions is the least risky.`;

/** The parts of a chat-completions answer this generator reads. */
const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});

/** Asks an OpenAI-compatible chat-completions API (base URL, model, key from the environment) for a JSON change. */
export function openAiGenerator(
  settings: LearningPolicy['generator'],
  env: Record<string, string | undefined>,
): Generator {
  return {
    name: `openai:${settings.model}`,
    async generate(report, baseline) {
      const key = settings.apiKeyEnv ? env[settings.apiKeyEnv] : undefined;
      if (settings.apiKeyEnv && !key)
        return { ok: false, reason: `the API key variable ${settings.apiKeyEnv} is not set` };
      try {
        const response = await fetch(`${settings.url!.replace(/\/$/, '')}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
          body: JSON.stringify({
            model: settings.model,
            response_format: { type: 'json_object' },
            messages: [
              { role: 'system', content: instructions },
              { role: 'user', content: JSON.stringify({ report, baseline }) },
            ],
          }),
          signal: AbortSignal.timeout(settings.timeoutMs),
        });
        const body = await readBounded(response, settings.maxResponseBytes);
        if (!body.ok) return body;
        if (!response.ok)
          return { ok: false, reason: `model API answered ${response.status}: ${body.text.slice(0, 200)}` };
        let content: string | null;
        try {
          const parsed = completionSchema.safeParse(JSON.parse(body.text));
          if (!parsed.success) return { ok: false, reason: 'model API answer is not a chat completion' };
          content = parsed.data.choices[0]!.message.content;
        } catch {
          return { ok: false, reason: 'model API answered with something that is not JSON' };
        }
        if (!content) return { ok: false, reason: 'the model answered nothing' };
        let proposals: unknown;
        try {
          proposals = JSON.parse(content);
        } catch {
          return { ok: false, reason: "the model's answer is not JSON" };
        }
        return parseProposals(proposals, settings.maxCandidates);
      } catch (err) {
        return { ok: false, reason: `model API request failed: ${describeFetchError(err, settings.timeoutMs)}` };
      }
    },
  };
}
