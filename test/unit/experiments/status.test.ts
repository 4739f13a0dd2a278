import { describe, expect, it } from 'vitest';
import { experimentStatusSymbols } from '../../../lib/contracts/types.generated.ts';
import { experimentStatuses } from '../../../lib/db/schema.ts';
import { eventStatus, isActive, isAssigning, isTerminal, storedStatus } from '../../../lib/experiments/status.pure.ts';

describe('experiment statuses', () => {
  it('name each set once: active, assigning traffic, terminal', () => {
    expect(experimentStatusSymbols.filter(isActive)).toEqual(['running', 'paused', 'awaiting_approval']);
    expect(experimentStatusSymbols.filter(isAssigning)).toEqual(['running', 'awaiting_approval']);
    expect(experimentStatusSymbols.filter(isTerminal)).toEqual([
      'promoted',
      'failed',
      'rejected',
      'inconclusive',
      'cancelled',
    ]);
    expect(experimentStatuses.filter(isTerminal)).toEqual(['promoted', 'failed', 'closed', 'inconclusive']);
  });

  it('assign nothing and are not active for a status this code does not know', () => {
    expect(isActive('retired')).toBe(false);
    expect(isAssigning('retired')).toBe(false);
  });

  it('map between the stored and the published vocabulary, closed telling rejected from cancelled by its decision', () => {
    for (const status of experimentStatusSymbols) {
      const stored = storedStatus(status);
      expect(experimentStatuses).toContain(stored);
      expect(eventStatus(stored, { outcome: status })).toBe(status);
    }
    expect(eventStatus('closed', null)).toBe('cancelled');
    expect(eventStatus('closed', { outcome: 'rejected' })).toBe('rejected');
  });
});
