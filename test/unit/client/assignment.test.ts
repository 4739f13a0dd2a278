import { describe, expect, it } from 'vitest';
import {
  type AssignInput,
  assignInputProblem,
  fallbackAssignment,
  fromGrpcAnswer,
  fromJsonAnswer,
  runCompletedEvent,
  runEvaluatedEvent,
  runTags,
  shadowTags,
} from '../../../lib/client/assignment.pure.ts';
import { validateRunCompleted, validateRunEvaluated } from '../../../lib/contracts/validation.ts';

const input: AssignInput = { agentId: 'agent-1', runId: 'run-1', unitId: 'user-7', liveVersionId: 'v-live' };
const answer = {
  agentId: 'agent-1',
  runId: 'run-1',
  versionId: 'v-cand',
  experimentId: 'exp-1',
  arm: 'candidate',
  shadow: null,
};

describe("the client's reading of the router's answer", () => {
  it('takes a well-formed answer as it is', () => {
    expect(fromJsonAnswer(input, JSON.stringify(answer))).toEqual({
      ...answer,
      unitId: 'user-7',
      fallback: null,
    });
  });

  it("serves the caller's live version when the router knows no version, untagged but not a fallback", () => {
    const a = fromJsonAnswer(input, JSON.stringify({ ...answer, versionId: null, experimentId: null, arm: null }));
    expect(a).toMatchObject({ versionId: 'v-live', arm: null, fallback: null });
  });

  it('falls back on an answer it cannot use: not JSON, the wrong shape, another run', () => {
    expect(fromJsonAnswer(input, 'not json').fallback).toBe('bad_answer');
    expect(fromJsonAnswer(input, JSON.stringify({ ...answer, arm: 'shadow' })).fallback).toBe('bad_answer');
    expect(fromJsonAnswer(input, JSON.stringify({ ...answer, versionId: 3 })).fallback).toBe('bad_answer');
    expect(fromJsonAnswer(input, JSON.stringify({ ...answer, runId: 'run-2' })).fallback).toBe('bad_answer');
    const fallen = fromJsonAnswer(input, '{}');
    expect(fallen).toEqual(fallbackAssignment(input, 'bad_answer'));
    expect(fallen).toMatchObject({ versionId: 'v-live', experimentId: null, arm: null, shadow: null });
  });

  it('reads the gRPC answer, its enum and its unset fields', () => {
    const grpc = { agentId: 'agent-1', runId: 'run-1', versionId: 'v-base', experimentId: 'exp-1' };
    expect(fromGrpcAnswer(input, { ...grpc, arm: 'ARM_BASELINE' })).toMatchObject({ arm: 'baseline', fallback: null });
    expect(fromGrpcAnswer(input, { agentId: 'agent-1', runId: 'run-1', arm: 'ARM_UNSPECIFIED' })).toMatchObject({
      versionId: 'v-live',
      arm: null,
      fallback: null,
    });
    expect(fromGrpcAnswer(input, { ...grpc, arm: 'ARM_UNSPECIFIED' }).fallback).toBe('bad_answer');
    expect(fromGrpcAnswer(input, { ...grpc, arm: 'ARM_OTHER' as 'ARM_BASELINE' }).fallback).toBe('bad_answer');
  });

  it('names the field of a request no router could assign', () => {
    expect(assignInputProblem(input)).toBeNull();
    expect(assignInputProblem({ ...input, liveVersionId: '' })).toBe('liveVersionId: must be a non-empty string');
    expect(assignInputProblem({ ...input, runId: 7 as unknown as string })).toBe('runId: must be a non-empty string');
    expect(assignInputProblem({ ...input, unitId: 7 as unknown as string })).toBe('unitId: must be a string or null');
  });
});

describe('the reports', () => {
  const shadowed = fromJsonAnswer(
    input,
    JSON.stringify({
      ...answer,
      versionId: 'v-base',
      arm: 'baseline',
      shadow: { versionId: 'v-cand', experimentId: 'exp-1' },
    }),
  );

  it("carry the router's tags; the shadow run the same runId, arm shadow and the candidate's version", () => {
    expect(runTags(shadowed)).toEqual({
      agentId: 'agent-1',
      runId: 'run-1',
      agentVersionId: 'v-base',
      experimentId: 'exp-1',
      arm: 'baseline',
      unitId: 'user-7',
    });
    expect(shadowTags(shadowed)).toEqual({ ...runTags(shadowed), agentVersionId: 'v-cand', arm: 'shadow' });
    expect(shadowTags(fromJsonAnswer(input, JSON.stringify(answer)))).toBeNull();
  });

  it('are valid contract events, with the latency and counts filled in', () => {
    const startedAt = new Date(1_000);
    const completed = runCompletedEvent(
      runTags(shadowed),
      { startedAt, completedAt: new Date(1_250), costUsd: 0.01 },
      'e1',
    );
    expect(completed).toMatchObject({ latencyMs: 250, status: 'succeeded', toolCalls: 0, guardrailHits: [] });
    expect(validateRunCompleted(completed).ok).toBe(true);
    const now = new Date(2_000);
    const evaluated = runEvaluatedEvent(
      runTags(shadowed),
      { evaluatorId: 'judge', score: 0.5, passed: true },
      'e2',
      now,
    );
    expect(evaluated).toMatchObject({ evaluatedAt: now, failureCategories: [], arm: 'baseline' });
    expect(validateRunEvaluated(evaluated).ok).toBe(true);
  });
});
