import { describe, expect, it } from 'vitest';
import { compilePath, matchPath } from '../../../services/control-plane/paths.pure.ts';

describe('route paths', () => {
  const policy = compilePath('/api/agents/{agentId}/learning/policy');

  it('captures a parameter as one percent-decoded segment', () => {
    expect(matchPath(policy, '/api/agents/support-bot/learning/policy')).toEqual({
      ok: true,
      params: { agentId: 'support-bot' },
    });
    expect(matchPath(policy, '/api/agents/team%2Fbot%20%C3%A9/learning/policy')).toEqual({
      ok: true,
      params: { agentId: 'team/bot é' },
    });
  });

  it('matches literals exactly and segment counts strictly', () => {
    expect(matchPath(policy, '/api/agents/a/learning/policies')).toEqual({ ok: false, reason: 'no_match' });
    expect(matchPath(policy, '/api/agents/a/b/learning/policy')).toEqual({ ok: false, reason: 'no_match' });
    expect(matchPath(policy, '/api/agents/a/learning/policy/')).toEqual({ ok: false, reason: 'no_match' });
    expect(matchPath(compilePath('/api/approvals'), '/api/approvals')).toEqual({ ok: true, params: {} });
  });

  it('names the parameter of an empty or malformed segment', () => {
    expect(matchPath(policy, '/api/agents//learning/policy')).toEqual({
      ok: false,
      reason: 'bad_segment',
      param: 'agentId',
    });
    expect(matchPath(policy, '/api/agents/%E0%A4%A/learning/policy')).toEqual({
      ok: false,
      reason: 'bad_segment',
      param: 'agentId',
    });
  });
});
