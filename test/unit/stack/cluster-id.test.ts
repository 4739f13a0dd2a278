import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { kafkaClusterId } from '../../../lib/stack/cluster-id.pure.ts';

describe('the Kafka cluster id', () => {
  it('is drawn again when it would start with "-", which kafka-storage reads as an option', () => {
    // 0xf8: the first six bits are 62, base64url's "-".
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x41)];
    const id = kafkaClusterId(() => draws.shift()!);
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
    expect(id).toBe(Buffer.alloc(16, 0x41).toString('base64url'));
    expect(draws).toHaveLength(0);
  });

  it('is 22 base64url characters and never starts with "-" over many draws', () => {
    for (let i = 0; i < 2000; i++) {
      const id = kafkaClusterId(randomBytes);
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
