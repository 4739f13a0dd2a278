import { describe, expect, it } from 'vitest';
import { kafkajsLogLevel } from '../../../lib/kafka/log-level.pure.ts';

describe("kafkajs's log entries in learnloop's log", () => {
  it('shows a send attempt kafkajs retries (CONCURRENT_TRANSACTIONS) as a counted retry at debug, not an error', () => {
    expect(
      kafkajsLogLevel(
        'error',
        'Failed to send messages: The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
        { retryCount: 0, retryTime: 300 },
      ),
    ).toEqual({ level: 'debug', retry: true });
  });

  it('keeps error responses as detail and everything else at its level', () => {
    expect(kafkajsLogLevel('error', 'Response GroupCoordinator(key: 10, version: 2)', {})).toEqual({
      level: 'debug',
      retry: false,
    });
    expect(kafkajsLogLevel('error', 'Crash: KafkaJSNumberOfRetriesExceeded', { groupId: 'g' })).toEqual({
      level: 'error',
      retry: false,
    });
    expect(kafkajsLogLevel('info', 'Consumer has joined the group', { retryCount: 1 })).toEqual({
      level: 'info',
      retry: false,
    });
  });
});
