import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, connectionSchema, loadConfig, parseConfig, port, processSchema } from '../../lib/config.ts';
import { parseStackSettings } from '../../lib/stack/settings.ts';

describe('parseConfig', () => {
  it('names every bad or missing variable in one error', () => {
    const result = parseConfig(connectionSchema, { KAFKA_BROKERS: 'no-port', DATABASE_URL: 'mysql://x/y' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(ConfigError);
    expect(result.error.problems).toHaveLength(3);
    expect(result.error.message).toContain('KAFKA_BROKERS="no-port": each broker must be host:port');
    expect(result.error.message).toContain('SCHEMA_REGISTRY_URL: missing');
    expect(result.error.message).toContain('DATABASE_URL="mysql://x/y": must be a postgres: or postgresql: URL');
  });

  it('parses a broker list and keeps the URLs', () => {
    const result = parseConfig(connectionSchema, {
      KAFKA_BROKERS: 'a:9092, b:9093,',
      SCHEMA_REGISTRY_URL: 'http://registry:8081',
      DATABASE_URL: 'postgres://u@db:5432/x',
    });
    expect(result).toEqual({
      ok: true,
      value: {
        KAFKA_BROKERS: ['a:9092', 'b:9093'],
        SCHEMA_REGISTRY_URL: 'http://registry:8081',
        DATABASE_URL: 'postgres://u@db:5432/x',
      },
    });
  });

  it('fills defaults and treats an empty variable as unset', () => {
    expect(loadConfig(processSchema, { LEARNLOOP_LOG_LEVEL: '', LEARNLOOP_METRICS_PORT: '9999' })).toEqual({
      LEARNLOOP_LOG_LEVEL: 'info',
      LEARNLOOP_METRICS_PORT: 9999,
      LEARNLOOP_HOST: '127.0.0.1',
      LEARNLOOP_SHUTDOWN_TIMEOUT_MS: 30_000,
    });
  });

  it('rejects ports outside 1..65535 and non-numbers, naming the value', () => {
    const schema = z.object({ P: port });
    for (const bad of ['0', '65536', 'abc', '80.5']) {
      const result = parseConfig(schema, { P: bad });
      expect(result.ok, bad).toBe(false);
      if (!result.ok) expect(result.error.message).toContain(`P=${JSON.stringify(bad)}`);
    }
    expect(parseConfig(schema, { P: '65535' })).toEqual({ ok: true, value: { P: 65535 } });
  });

  it('loadConfig throws the ConfigError with the list', () => {
    expect(() => loadConfig(processSchema, { LEARNLOOP_LOG_LEVEL: 'loud' })).toThrow(/LEARNLOOP_LOG_LEVEL="loud"/);
  });
});

describe('stack settings', () => {
  it('default to ports that are not the usual ones and a home under the project', () => {
    const result = parseStackSettings({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.LEARNLOOP_KAFKA_PORT).toBe(29092);
    expect(result.value.LEARNLOOP_REGISTRY_PORT).toBe(28081);
    expect(result.value.LEARNLOOP_POSTGRES_PORT).toBe(25432);
    expect(result.value.LEARNLOOP_HOME).toMatch(/\.learnloop$/);
  });

  it('reject a heap that the JVM would not take', () => {
    const result = parseStackSettings({ LEARNLOOP_KAFKA_HEAP: '512 MB' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain('LEARNLOOP_KAFKA_HEAP="512 MB": must be a JVM heap size');
  });
});
