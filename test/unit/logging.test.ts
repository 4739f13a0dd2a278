import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/logging.ts';

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    write: (line) => lines.push(line),
    now: () => new Date('2026-01-02T03:04:05.000Z'),
  });
  return { logger, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>), lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, msg and fields', () => {
    const { logger, lines, records } = capture();
    logger.info('batch committed', { partition: 3, records: 500 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(records()[0]).toEqual({
      time: '2026-01-02T03:04:05.000Z',
      level: 'info',
      msg: 'batch committed',
      partition: 3,
      records: 500,
    });
  });

  it('drops lines below the level', () => {
    const { logger, records } = capture('warn');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(records().map((r) => r['level'])).toEqual(['warn', 'error']);
  });

  it('child loggers add their bindings to every line, and fields win over bindings', () => {
    const { logger, records } = capture();
    const child = logger.child({ service: 'proposer', partition: 1 }).child({ agentId: 'a-1' });
    child.info('x', { partition: 2 });
    expect(records()[0]).toMatchObject({ service: 'proposer', agentId: 'a-1', partition: 2 });
  });

  it('keeps an error message, stack and cause, and bigints', () => {
    const { logger, records } = capture();
    const err = new Error('outer', { cause: new TypeError('inner') });
    logger.error('failed', { err, offset: 12345678901234567890n });
    const record = records()[0]!;
    expect(record['err']).toMatchObject({
      name: 'Error',
      message: 'outer',
      cause: { name: 'TypeError', message: 'inner' },
    });
    expect(String((record['err'] as { stack: string }).stack)).toContain('outer');
    expect(record['offset']).toBe('12345678901234567890');
  });
});
