import { describe, expect, it } from 'vitest';
import {
  boundedError,
  deadLetterCarriesOriginal,
  maxDeadLetterErrorChars,
  maxRecordBytes,
  recordBytes,
} from '../../../lib/kafka/limits.pure.ts';
import { takeBatch, tooLargeReason } from '../../../lib/kafka/outbox-batch.pure.ts';

const row = (bytes: number, id: string) => ({ key: null, value: Buffer.alloc(bytes), headers: {}, event_id: id });

describe('record sizes', () => {
  it('counts key, value and headers', () => {
    expect(recordBytes({ key: Buffer.from('ab'), value: Buffer.alloc(10), headers: { eventId: 'é' } })).toBe(
      2 + 10 + 'eventId'.length + 2,
    );
  });

  it('lets a dead letter carry a record only where the whole dead letter stays under the limit', () => {
    expect(deadLetterCarriesOriginal(Buffer.from('agent'), Buffer.alloc(900_000), 'bad')).toBe(true);
    // The case: a record just under the broker's limit, whose dead letter would be over it.
    expect(deadLetterCarriesOriginal(Buffer.from('agent'), Buffer.alloc(1_040_000), 'bad')).toBe(false);
    expect(deadLetterCarriesOriginal(Buffer.alloc(500_000), Buffer.alloc(10), 'bad')).toBe(false);
  });

  it('cuts long errors and says how much was cut', () => {
    expect(boundedError('short')).toBe('short');
    const cut = boundedError('x'.repeat(maxDeadLetterErrorChars + 10));
    expect(cut.startsWith('x'.repeat(maxDeadLetterErrorChars))).toBe(true);
    expect(cut).toMatch(/\(10 more characters\)$/);
  });
});

describe('outbox batches', () => {
  it('takes rows while they fit together, and at least the first', () => {
    const rows = [row(400_000, 'a'), row(400_000, 'b'), row(400_000, 'c')];
    expect(takeBatch(rows, maxRecordBytes).rows.map((r) => r.event_id)).toEqual(['a', 'b']);
    expect(takeBatch([row(999_990, 'a'), row(10, 'b')], maxRecordBytes).rows.map((r) => r.event_id)).toEqual(['a']);
  });

  it('returns a first row that can never fit as oversized, and stops before one further on', () => {
    const first = takeBatch([row(1_100_000, 'big'), row(10, 'b')], maxRecordBytes);
    expect(first.oversized?.row.event_id).toBe('big');
    expect(first.rows).toEqual([]);
    const later = takeBatch([row(10, 'a'), row(1_100_000, 'big'), row(10, 'c')], maxRecordBytes);
    expect(later.rows.map((r) => r.event_id)).toEqual(['a']);
    expect(later.oversized).toBeUndefined();
  });

  it('finds the broker refusing a batch as too large however kafkajs nests it', () => {
    const protocol = Object.assign(new Error('The request included a message larger than the max message size'), {
      type: 'MESSAGE_TOO_LARGE',
    });
    expect(tooLargeReason(protocol)).toMatch(/MESSAGE_TOO_LARGE/);
    expect(tooLargeReason(Object.assign(new Error('retries'), { cause: protocol }))).toMatch(/MESSAGE_TOO_LARGE/);
    expect(tooLargeReason(Object.assign(new Error('agg'), { errors: [new Error('x'), protocol] }))).toMatch(
      /MESSAGE_TOO_LARGE/,
    );
    expect(tooLargeReason(Object.assign(new Error('gone'), { type: 'NOT_LEADER_FOR_PARTITION' }))).toBeUndefined();
    expect(tooLargeReason('text')).toBeUndefined();
  });
});
