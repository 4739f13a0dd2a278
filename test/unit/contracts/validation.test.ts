import { describe, expect, it } from 'vitest';
import { validateEvent, validateRunCompleted, validateRunEvaluated } from '../../../lib/contracts/validation.ts';
import { runCompleted, runEvaluated, sampleEvents } from '../../fixtures/events.ts';

function failure(result: { ok: true } | { ok: false; error: string }): string {
  if (result.ok) throw new Error('expected the event to be rejected');
  return result.error;
}

describe('validateRunCompleted', () => {
  it('accepts a good event, and one with feedback, an arm and zero counts', () => {
    expect(validateRunCompleted(runCompleted())).toEqual({
      ok: true,
      value: expect.objectContaining({ agentId: 'agent-support' }),
    });
    const edge = runCompleted({
      userFeedback: -1,
      arm: 'shadow',
      experimentId: 'exp-1',
      costUsd: 0,
      toolCalls: 0,
      toolErrors: 0,
      latencyMs: 0,
    });
    expect(validateRunCompleted(edge).ok).toBe(true);
    // Equal times are fine; more tool errors than calls is not a rule of the contract.
    expect(
      validateRunCompleted(runCompleted({ completedAt: runCompleted().startedAt, toolCalls: 1, toolErrors: 3 })).ok,
    ).toBe(true);
  });

  it.each([
    ['negative cost', { costUsd: -0.01 }, /^costUsd: must not be negative \(got -0\.01\)$/],
    ['negative latency', { latencyMs: -1 }, /^latencyMs: must not be negative/],
    ['negative input tokens', { inputTokens: -5 }, /^inputTokens: must not be negative/],
    ['negative output tokens', { outputTokens: -5 }, /^outputTokens: must not be negative/],
    ['negative tool calls', { toolCalls: -1 }, /^toolCalls: must not be negative/],
    ['negative tool errors', { toolErrors: -1 }, /^toolErrors: must not be negative/],
    ['empty runId', { runId: '' }, /^runId: must not be empty/],
    ['empty eventId', { eventId: '' }, /^eventId: must not be empty/],
    ['empty agentId', { agentId: '' }, /^agentId: must not be empty/],
    ['empty agentVersionId', { agentVersionId: '' }, /^agentVersionId: must not be empty/],
    ['userFeedback 2', { userFeedback: 2 }, /^userFeedback: must be -1, 0 or 1 \(got 2\)$/],
    [
      'an unknown status',
      { status: 'ok' as never },
      /^status: "ok" is not one of succeeded\|failed\|timed_out\|cancelled$/,
    ],
    ['a fractional token count', { inputTokens: 1.5 }, /^inputTokens: 1\.5 is not a long/],
    ['a string for a time', { startedAt: '2026-01-01' as never }, /^startedAt: "2026-01-01" is not a valid Date$/],
  ])('rejects %s, naming the field', (_what, overrides, message) => {
    expect(failure(validateRunCompleted(runCompleted(overrides)))).toMatch(message);
  });

  it('rejects completedAt before startedAt', () => {
    const event = runCompleted();
    const error = failure(validateRunCompleted({ ...event, completedAt: new Date(event.startedAt.getTime() - 1) }));
    expect(error).toMatch(/^completedAt: must not be before startedAt/);
  });

  it('names a missing field and a bad nested one', () => {
    const { runId: _r, ...missing } = runCompleted();
    expect(failure(validateRunCompleted(missing))).toMatch(/^runId: missing is not a valid string$/);
    const nested = runCompleted({ guardrailHits: [{ rule: 'x', severity: 'critical' as never }] });
    expect(failure(validateRunCompleted(nested))).toMatch(
      /^guardrailHits\.0\.severity: "critical" is not one of low\|medium\|high$/,
    );
  });

  it('reports every range problem at once', () => {
    const error = failure(validateRunCompleted(runCompleted({ costUsd: -1, runId: '' })));
    expect(error).toContain('runId: must not be empty');
    expect(error).toContain('costUsd: must not be negative');
  });
});

describe('validateRunEvaluated', () => {
  it('accepts a good event and the bounds of score', () => {
    expect(validateRunEvaluated(runEvaluated()).ok).toBe(true);
    expect(validateRunEvaluated(runEvaluated({ score: 0 })).ok).toBe(true);
    expect(validateRunEvaluated(runEvaluated({ score: 1 })).ok).toBe(true);
  });

  it.each([
    ['score 1.01', { score: 1.01 }, /^score: must be in \[0, 1\] \(got 1\.01\)$/],
    ['score -0.01', { score: -0.01 }, /^score: must be in \[0, 1\] \(got -0\.01\)$/],
    ['score NaN', { score: Number.NaN }, /^score: /],
    ['empty evaluatorId', { evaluatorId: '' }, /^evaluatorId: must not be empty/],
    ['empty runId', { runId: '' }, /^runId: must not be empty/],
    ['runId over 512 bytes', { runId: 'r'.repeat(513) }, /^runId: must be at most 512 bytes/],
    ['agentId over 512 bytes in UTF-8', { agentId: 'é'.repeat(257) }, /^agentId: must be at most 512 bytes/],
  ])('rejects %s, naming the field', (_what, overrides, message) => {
    expect(failure(validateRunEvaluated(runEvaluated(overrides)))).toMatch(message);
  });
});

describe('validateEvent', () => {
  it('accepts ids of exactly 512 bytes', () => {
    expect(validateEvent('agent.run.evaluated.v1', runEvaluated({ runId: 'r'.repeat(512) })).ok).toBe(true);
  });

  it('applies the input checks to the input topics', () => {
    expect(failure(validateEvent('agent.run.evaluated.v1', runEvaluated({ score: 2 })))).toMatch(/^score:/);
    expect(failure(validateEvent('agent.run.completed.v1', runCompleted({ costUsd: -2 })))).toMatch(/^costUsd:/);
  });

  it('passes output events through as they are', () => {
    const state = sampleEvents()['learning.experiment.state.v1'];
    expect(validateEvent('learning.experiment.state.v1', state)).toEqual({ ok: true, value: state });
  });
});
