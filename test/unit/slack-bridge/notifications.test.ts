import { describe, expect, it } from 'vitest';
import type { ExperimentState, SessionTriggered, VersionPromoted } from '../../../lib/contracts/types.generated.ts';
import { defaultPolicy, learningPolicySchema } from '../../../lib/policy/policy.ts';
import { notificationOf } from '../../../services/slack-bridge/notifications.pure.ts';
import { sampleEvents } from '../../fixtures/events.ts';

const events = sampleEvents();

describe('optional Slack notifications', () => {
  it('are off by default and switched on per agent in the policy', () => {
    expect(defaultPolicy.notifications.slack).toEqual({
      sessionOpened: false,
      experimentFailed: false,
      promoted: false,
    });
    expect(
      learningPolicySchema.parse({ notifications: { slack: { promoted: true } } }).notifications.slack.promoted,
    ).toBe(true);
    expect(learningPolicySchema.safeParse({ notifications: { slack: { promote: true } } }).success).toBe(false);
  });

  it('say what happened to which agent: a session opened, a failed experiment, a promotion', () => {
    const session = events['learning.session.triggered.v1'] as SessionTriggered;
    expect(notificationOf({ topic: 'learning.session.triggered.v1', value: session })).toMatchObject({
      agentId: session.agentId,
      setting: 'sessionOpened',
      text: expect.stringContaining('learning session opened'),
    });
    const manual = { ...session, trigger: 'manual' as const, requestedBy: 'ann' };
    expect(notificationOf({ topic: 'learning.session.triggered.v1', value: manual })!.text).toContain('by hand by ann');
    const state = events['learning.experiment.state.v1'] as ExperimentState;
    expect(
      notificationOf({ topic: 'learning.experiment.state.v1', value: { ...state, status: 'running' } }),
    ).toBeNull();
    expect(
      notificationOf({
        topic: 'learning.experiment.state.v1',
        value: { ...state, status: 'failed', reason: 'guardrail_regressed' },
      }),
    ).toMatchObject({ setting: 'experimentFailed', text: expect.stringContaining('failed') });
    const promoted = events['learning.version.promoted.v1'] as VersionPromoted;
    const manualPromotion = { ...promoted, mode: 'manual' as const, approver: 'bob' };
    expect(notificationOf({ topic: 'learning.version.promoted.v1', value: manualPromotion })).toMatchObject({
      setting: 'promoted',
      text: expect.stringContaining('approved by bob'),
    });
  });
});
