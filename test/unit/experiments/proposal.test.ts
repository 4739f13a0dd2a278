import { describe, expect, it } from 'vitest';
import { proposalSummary } from '../../../lib/experiments/proposal.pure.ts';

describe('a proposal summary', () => {
  it("is the change's summary when it has one, and null otherwise", () => {
    expect(proposalSummary({ summary: 'cite sources', parts: ['instructions'] })).toBe('cite sources');
    expect(proposalSummary({ summary: '' })).toBeNull();
    expect(proposalSummary({ summary: 42 })).toBeNull();
    expect(proposalSummary({})).toBeNull();
    expect(proposalSummary(null)).toBeNull();
  });
});
