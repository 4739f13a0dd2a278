import { describe, expect, it } from 'vitest';
import {
  caughtUp,
  createFreshness,
  recordPosition,
  recordProbe,
  resetPositions,
  stateAgeMs,
} from '../../../services/router-sidecar/freshness.pure.ts';
import { checkExperimentState, checkVersionPromoted } from '../../../services/router-sidecar/records.pure.ts';
import { bearerCheck, parseAssignBody, parseAssignRequest } from '../../../services/router-sidecar/request.pure.ts';
import { MAX_ID_LENGTH } from '../../../lib/router/schemas.ts';
import { runAssignedEventId, toRunAssigned } from '../../../services/router-sidecar/tags.pure.ts';
import { experimentState, promotion } from '../../helpers/router.ts';

describe('assign requests', () => {
  it('accepts agentId and runId, with unitId absent, null or empty meaning "the run is the unit"', () => {
    expect(parseAssignRequest({ agentId: 'a', runId: 'r' })).toEqual({
      ok: true,
      value: { agentId: 'a', runId: 'r', unitId: null },
    });
    expect(parseAssignRequest({ agentId: 'a', runId: 'r', unitId: null })).toEqual({
      ok: true,
      value: { agentId: 'a', runId: 'r', unitId: null },
    });
    expect(parseAssignRequest({ agentId: 'a', runId: 'r', unitId: '' })).toEqual({
      ok: true,
      value: { agentId: 'a', runId: 'r', unitId: null },
    });
    expect(parseAssignRequest({ agentId: 'a', runId: 'r', unitId: 'u', extra: 1 })).toEqual({
      ok: true,
      value: { agentId: 'a', runId: 'r', unitId: 'u' },
    });
  });

  it('names the field of every problem', () => {
    const problem = (input: unknown) => {
      const parsed = parseAssignRequest(input);
      return parsed.ok ? null : parsed.problem;
    };
    expect(problem({ runId: 'r' })).toEqual({ field: 'agentId', message: 'agentId: is required' });
    expect(problem({ agentId: 'a' })).toEqual({ field: 'runId', message: 'runId: is required' });
    expect(problem({ agentId: '', runId: 'r' })).toEqual({ field: 'agentId', message: 'agentId: must not be empty' });
    expect(problem({ agentId: 7, runId: 'r' })).toEqual({ field: 'agentId', message: 'agentId: must be a string' });
    expect(problem({ agentId: 'a', runId: 'r', unitId: 3 })).toEqual({
      field: 'unitId',
      message: 'unitId: must be a string or null',
    });
    expect(problem({ agentId: 'a', runId: 'x'.repeat(MAX_ID_LENGTH + 1) })?.field).toBe('runId');
    expect(problem({ agentId: 'a', runId: 'r', unitId: 'x'.repeat(MAX_ID_LENGTH + 1) })?.field).toBe('unitId');
    expect(problem([1, 2])).toEqual({ field: 'body', message: 'must be a JSON object' });
    expect(problem(null)?.field).toBe('body');
  });

  it('refuses malformed JSON as a problem with the body', () => {
    expect(parseAssignBody('{"agentId": "a", ')).toEqual({
      ok: false,
      problem: { field: 'body', message: 'body: is not valid JSON' },
    });
    expect(parseAssignBody('"just a string"')).toMatchObject({ ok: false, problem: { field: 'body' } });
    expect(parseAssignBody('{"agentId":"a","runId":"r"}')).toMatchObject({ ok: true });
  });
});

describe('the bearer token', () => {
  it('lets everything through when no token is configured', () => {
    expect(bearerCheck(undefined)(undefined)).toBe(true);
  });

  it('needs exactly "Bearer <token>" when one is', () => {
    const check = bearerCheck('s3cret-token');
    expect(check('Bearer s3cret-token')).toBe(true);
    expect(check(undefined)).toBe(false);
    expect(check('Bearer s3cret-tokeN')).toBe(false);
    expect(check('Bearer s3cret-token ')).toBe(false);
    expect(check('s3cret-token')).toBe(false);
  });
});

describe('RunAssigned event ids', () => {
  it('are name-based UUIDs (v5) of runId and arm: the same run and arm, the same id (vectors from Python uuid.uuid5)', () => {
    expect(runAssignedEventId('run-1', 'candidate')).toBe('5aa16700-0f87-507e-8fb7-3d09d64b4ec3');
    expect(runAssignedEventId('run-1', 'baseline')).toBe('f1d86a18-b408-58a9-8e51-2e40b3e315d4');
    expect(runAssignedEventId('run-1', 'shadow')).toBe('91a6224e-822b-586c-8527-6640d39c33cb');
    expect(runAssignedEventId('運行-🦊', 'baseline')).toBe('fde197a5-2318-54ab-a40a-195653341ec4');
  });

  it('carry the draft into the Avro record', () => {
    const tag = toRunAssigned({
      runId: 'run-1',
      agentId: 'a',
      unitId: null,
      bucket: 17,
      experimentId: 'e',
      experimentVersion: 3,
      mode: 'ab',
      arm: 'candidate',
      versionId: 'v',
      assignedAtMs: 1000,
    });
    expect(tag).toEqual({
      eventId: '5aa16700-0f87-507e-8fb7-3d09d64b4ec3',
      runId: 'run-1',
      agentId: 'a',
      unitId: null,
      bucket: 17,
      experimentId: 'e',
      experimentVersion: 3,
      mode: 'ab',
      arm: 'candidate',
      versionId: 'v',
      assignedAt: new Date(1000),
    });
  });
});

describe('state freshness', () => {
  const ends = [
    { topic: 's', partition: 0, low: 0, high: 10 },
    { topic: 's', partition: 1, low: 0, high: 0 },
    { topic: 'p', partition: 0, low: 5, high: 5 },
  ];

  it('is not ready until a probe finds every partition read to its end; empty partitions count as read', () => {
    const f = createFreshness();
    expect(stateAgeMs(f, 1000)).toBe(Number.POSITIVE_INFINITY);
    expect(recordProbe(f, 1000, ends)).toBe(false);
    expect(f.completeAsOfMs).toBeNull();
    recordPosition(f, 's', 0, 8);
    expect(caughtUp(f, ends)).toBe(false);
    recordPosition(f, 's', 0, 9);
    expect(recordProbe(f, 2000, ends)).toBe(true);
    expect(f.completeAsOfMs).toBe(2000);
    expect(stateAgeMs(f, 2500)).toBe(500);
  });

  it('ages while probes fail or find the consumer behind, and positions only move forward', () => {
    const f = createFreshness();
    recordPosition(f, 's', 0, 9);
    recordProbe(f, 1000, ends);
    recordPosition(f, 's', 0, 3);
    expect(caughtUp(f, ends)).toBe(true);
    expect(recordProbe(f, 5000, [{ topic: 's', partition: 0, low: 0, high: 12 }])).toBe(false);
    expect(stateAgeMs(f, 6000)).toBe(5000);
    // A probe that started earlier than the last success does not move the time back.
    recordProbe(f, 500, ends);
    expect(f.completeAsOfMs).toBe(1000);
    resetPositions(f);
    expect(caughtUp(f, ends)).toBe(false);
    expect(f.completeAsOfMs).toBe(1000);
  });
});

describe('state records from the topics', () => {
  it('take a whole record, or one from another schema version with extra fields or without the ones the router ignores', () => {
    expect(checkExperimentState(experimentState())).toMatchObject({ ok: true });
    const { policy: _p, rampSchedule: _r, runCounts: _c, ...older } = experimentState();
    expect(checkExperimentState({ ...older, someFutureField: 1 })).toMatchObject({ ok: true });
    expect(checkVersionPromoted(promotion())).toMatchObject({ ok: true });
    const { experimentId: _e, ...withoutExperiment } = promotion();
    expect(checkVersionPromoted(withoutExperiment)).toEqual({
      ok: true,
      value: expect.objectContaining({ experimentId: null }),
    });
  });

  it('name what is missing or mistyped', () => {
    const { salt: _s, ...noSalt } = experimentState();
    expect(checkExperimentState(noSalt)).toMatchObject({ ok: false, error: expect.stringContaining('salt') });
    expect(checkExperimentState({ ...experimentState(), changedAt: 5 })).toMatchObject({
      ok: false,
      error: expect.stringContaining('changedAt'),
    });
    expect(checkVersionPromoted({ ...promotion(), promotedVersionId: '' })).toMatchObject({
      ok: false,
      error: expect.stringContaining('promotedVersionId'),
    });
    expect(checkExperimentState('not a record')).toMatchObject({ ok: false });
  });
});
