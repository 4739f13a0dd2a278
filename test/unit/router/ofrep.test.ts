import { describe, expect, it } from 'vitest';
import { ofrepFailureSchema, ofrepSuccessSchema } from '../../../lib/router/schemas.ts';
import { flagNotFound, parseOfrepRequest, toOfrep } from '../../../services/router-sidecar/ofrep.pure.ts';

const body = (context: unknown) => JSON.stringify({ context });

describe('OFREP requests', () => {
  it('read the flag key as the agent, targetingKey as the unit, runId as the run', () => {
    expect(parseOfrepRequest('agent-1', body({ targetingKey: 'user-7', runId: 'run-1', plan: 'pro' }))).toEqual({
      ok: true,
      request: { agentId: 'agent-1', runId: 'run-1', unitId: 'user-7' },
    });
    expect(parseOfrepRequest('agent-1', body({ runId: 'run-1', targetingKey: '' }))).toMatchObject({
      request: { unitId: null },
    });
  });

  it("are refused with OFREP's error codes, naming the field", () => {
    const refused = (key: string, text: string) => {
      const parsed = parseOfrepRequest(key, text);
      if (parsed.ok) throw new Error('accepted');
      expect(ofrepFailureSchema.safeParse(parsed.failure).success).toBe(true);
      return parsed.failure;
    };
    expect(refused('agent-1', '{')).toMatchObject({ errorCode: 'PARSE_ERROR' });
    expect(refused('agent-1', body({ targetingKey: 'u' }))).toMatchObject({
      errorCode: 'INVALID_CONTEXT',
      errorDetails: 'context.runId: is required',
    });
    expect(refused('agent-1', '{}').errorDetails).toMatch(/^context/);
    expect(refused('agent-1', body({ runId: 'r', targetingKey: 'x'.repeat(513) })).errorDetails).toMatch(
      /^context.targetingKey/,
    );
    expect(refused('', body({ runId: 'r' }))).toMatchObject({ errorCode: 'GENERAL' });
  });
});

describe('OFREP answers', () => {
  const base = { agentId: 'agent-1', runId: 'r', versionId: 'v-cand', experimentId: 'exp-1', shadow: null };

  it('carry the version as the value, the arm as the variant, the experiment as metadata', () => {
    const enrolled = toOfrep('agent-1', { ...base, arm: 'candidate' });
    expect(enrolled).toEqual({
      key: 'agent-1',
      value: 'v-cand',
      reason: 'SPLIT',
      variant: 'candidate',
      metadata: { experimentId: 'exp-1', arm: 'candidate' },
    });
    expect(ofrepSuccessSchema.safeParse(enrolled).success).toBe(true);
    const shadowed = toOfrep('agent-1', {
      ...base,
      versionId: 'v-base',
      arm: 'baseline',
      shadow: { versionId: 'v-cand', experimentId: 'exp-1' },
    });
    expect(shadowed?.metadata).toEqual({ experimentId: 'exp-1', arm: 'baseline', shadowVersionId: 'v-cand' });
  });

  it('serve the live version as the default variant, and no version as FLAG_NOT_FOUND', () => {
    expect(toOfrep('agent-1', { ...base, versionId: 'v-live', experimentId: null, arm: null })).toEqual({
      key: 'agent-1',
      value: 'v-live',
      reason: 'DEFAULT',
      variant: 'live',
      metadata: {},
    });
    expect(toOfrep('agent-1', { ...base, versionId: null, experimentId: null, arm: null })).toBeNull();
    expect(flagNotFound('agent-1')).toMatchObject({ key: 'agent-1', errorCode: 'FLAG_NOT_FOUND' });
  });
});
