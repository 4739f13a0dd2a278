import { describe, expect, it } from 'vitest';
import type { ConsumedEvent } from '../../../lib/kafka/batch.ts';
import { countedKey } from '../../../services/signal-aggregator/counted-key.pure.ts';

const completed = (eventId: string, runId: string, arm: string | null): ConsumedEvent => ({
  topic: 'agent.run.completed.v1',
  partition: 0,
  offset: 0,
  key: 'a',
  eventId,
  value: { eventId, runId, arm, agentId: 'a' },
});
const evaluated = (eventId: string, runId: string, evaluatorId: string): ConsumedEvent => ({
  topic: 'agent.run.evaluated.v1',
  partition: 0,
  offset: 0,
  key: 'a',
  eventId,
  value: { eventId, runId, arm: null, evaluatorId, agentId: 'a' },
});

describe('a run counts once', () => {
  it('whatever its eventId: the key is (runId, arm)', () => {
    expect(countedKey(completed('e1', 'r1', null))).toBe(countedKey(completed('e2', 'r1', null)));
    expect(countedKey(completed('e1', 'r1', 'baseline'))).not.toBe(countedKey(completed('e1', 'r1', 'shadow')));
    expect(countedKey(completed('e1', 'r1', null))).not.toBe(countedKey(completed('e1', 'r2', null)));
  });

  it('an evaluation once per (runId, arm, evaluator), apart from the run itself', () => {
    expect(countedKey(evaluated('e1', 'r1', 'judge'))).toBe(countedKey(evaluated('e9', 'r1', 'judge')));
    expect(countedKey(evaluated('e1', 'r1', 'judge'))).not.toBe(countedKey(evaluated('e1', 'r1', 'other-judge')));
    expect(countedKey(evaluated('e1', 'r1', 'judge'))).not.toBe(countedKey(completed('e1', 'r1', null)));
  });

  it('ids with separators cannot collide', () => {
    expect(countedKey(completed('e', 'a","b', null))).not.toBe(countedKey(completed('e', 'a', null)));
  });
});
