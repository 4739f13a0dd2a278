import { describe, expect, it } from 'vitest';
import { missingStage } from '../../../cli/demo.ts';
import { emptyStory, type AgentStory } from '../../../cli/demo-narrator.ts';
import { parseDuration, positiveNumber } from '../../../cli/simulate.ts';

const story = (over: Partial<AgentStory>): AgentStory => ({
  ...emptyStory(),
  ...over,
});

describe('learnloop simulate and demo arguments', () => {
  it('reads durations with their unit, seconds by default, and names the field of a bad one', () => {
    expect(parseDuration('90s', '--duration')).toBe(90_000);
    expect(parseDuration('10m', '--duration')).toBe(600_000);
    expect(parseDuration('1h', '--duration')).toBe(3_600_000);
    expect(parseDuration('250ms', '--duration')).toBe(250);
    expect(parseDuration('30', '--duration')).toBe(30_000);
    expect(() => parseDuration('ten minutes', '--duration')).toThrow(/--duration must be a duration/);
    expect(() => positiveNumber('0', '--rate')).toThrow(/--rate must be a positive number/);
    expect(() => positiveNumber('2.5', '--agents', true)).toThrow(/--agents must be a positive whole number/);
    expect(positiveNumber('2.5', '--rate')).toBe(2.5);
  });

  it('names the first stage of the loop that has not happened', () => {
    expect(missingStage(story({}), 'auto')).toMatch(/learning session/);
    expect(missingStage(story({ sessionId: 's' }), 'auto')).toBe('a proposal');
    expect(missingStage(story({ sessionId: 's', proposalId: 'p' }), 'auto')).toBe('an experiment');
    const tested = { sessionId: 's', proposalId: 'p', experimentId: 'e' };
    expect(missingStage(story(tested), 'auto')).toBe('the automatic promotion');
    expect(missingStage(story(tested), 'approval')).toBe('an approval request');
    expect(missingStage(story({ ...tested, approvalId: 'a1' }), 'approval')).toBe(
      'the approval (learnloop approve a1)',
    );
    expect(missingStage(story({ ...tested, approvalId: 'a1', approvalDecided: 'approved' }), 'approval')).toBe(
      'the promotion after approval',
    );
    const promoted = { mode: 'manual' } as AgentStory['promoted'];
    expect(
      missingStage(story({ ...tested, approvalId: 'a1', approvalDecided: 'approved', promoted }), 'approval'),
    ).toBe(null);
  });
});
