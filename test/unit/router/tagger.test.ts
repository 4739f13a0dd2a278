import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RunAssigned } from '../../../lib/contracts/types.generated.ts';
import { createLogger } from '../../../lib/logging.ts';
import type { TagDraft } from '../../../services/router-sidecar/decide.pure.ts';
import { routerMetrics } from '../../../services/router-sidecar/metrics.ts';
import { startTagger, type TagTransport } from '../../../services/router-sidecar/tagger.ts';

const logger = createLogger({ write: () => {} });

const draft = (i: number, assignedAtMs = Date.now()): TagDraft => ({
  runId: `run-${i}`,
  agentId: 'agent-1',
  unitId: null,
  bucket: i % 10_000,
  experimentId: 'exp-1',
  experimentVersion: 1,
  mode: 'ab',
  arm: 'candidate',
  versionId: 'v-cand',
  assignedAtMs,
});

/** A transport that records what it sent and can be made to fail. */
function fakeTransport() {
  const sent: RunAssigned[][] = [];
  const state = { down: false, connects: 0, hang: false };
  const transport: TagTransport = {
    connect: async () => {
      state.connects++;
      if (state.down) throw new Error('connect ECONNREFUSED');
    },
    send: async (tags) => {
      while (state.hang) await sleep(10);
      if (state.down) throw new Error('send failed: broker unreachable');
      sent.push([...tags]);
    },
    disconnect: async () => {},
  };
  return { transport, sent, state, all: () => sent.flat() };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(5);
  }
}

const start = (transport: TagTransport, extra: Partial<Parameters<typeof startTagger>[0]> = {}) => {
  const metrics = routerMetrics(new Registry());
  const tagger = startTagger({
    transport,
    capacity: 100,
    maxDelayMs: 500,
    lingerMs: 1,
    backoff: { initialMs: 10, maxMs: 50 },
    logger,
    metrics,
    ...extra,
  });
  return { tagger, metrics };
};

describe('the tagger', () => {
  it('publishes every tag once, in order, in batches, with deterministic event ids', async () => {
    const fake = fakeTransport();
    const { tagger } = start(fake.transport, { batchSize: 7 });
    await until(() => tagger.available());
    for (let i = 0; i < 50; i++) tagger.enqueue([draft(i)]);
    await until(() => tagger.pending() === 0);
    expect(fake.all().map((t) => t.runId)).toEqual(Array.from({ length: 50 }, (_, i) => `run-${i}`));
    expect(Math.max(...fake.sent.map((b) => b.length))).toBeLessThanOrEqual(7);
    expect(new Set(fake.all().map((t) => t.eventId)).size).toBe(50);
    await tagger.stop();
  });

  it('is unavailable until connected, and while Kafka is down; keeps what it buffered and publishes it once Kafka is back', async () => {
    const fake = fakeTransport();
    fake.state.down = true;
    const { tagger, metrics } = start(fake.transport);
    await sleep(50);
    expect(tagger.available()).toBe(false);
    fake.state.down = false;
    await until(() => tagger.available());
    for (let i = 0; i < 5; i++) tagger.enqueue([draft(i)]);
    await until(() => tagger.pending() === 0);

    fake.state.down = true;
    tagger.enqueue([draft(5)]);
    await until(() => !tagger.available());
    expect(tagger.pending()).toBe(1);
    fake.state.down = false;
    await until(() => tagger.pending() === 0 && tagger.available());
    expect(fake.all().map((t) => t.runId)).toEqual(['run-0', 'run-1', 'run-2', 'run-3', 'run-4', 'run-5']);
    expect(
      (await metrics.registry.getSingleMetric('learnloop_router_tag_publish_failures_total')?.get())?.values[0]?.value,
    ).toBeGreaterThan(0);
    await tagger.stop();
  });

  it('counts Kafka as down when the oldest tag has waited longer than maxDelayMs (a send that hangs)', async () => {
    const fake = fakeTransport();
    const { tagger } = start(fake.transport, { maxDelayMs: 100 });
    await until(() => tagger.available());
    fake.state.hang = true;
    tagger.enqueue([draft(1)]);
    expect(tagger.available()).toBe(true);
    await sleep(150);
    expect(tagger.available()).toBe(false);
    fake.state.hang = false;
    await until(() => tagger.available());
    await tagger.stop();
  });

  it('reports its free room; a full buffer leaves none', async () => {
    const fake = fakeTransport();
    fake.state.hang = true;
    const { tagger } = start(fake.transport, { capacity: 10, maxDelayMs: 60_000 });
    await until(() => fake.state.connects > 0);
    tagger.enqueue(Array.from({ length: 10 }, (_, i) => draft(i)));
    expect(tagger.room()).toBe(0);
    fake.state.hang = false;
    await until(() => tagger.room() === 10);
    await tagger.stop();
  });

  it('flushes what it holds on stop, and counts as dropped what it could not publish in time', async () => {
    const good = fakeTransport();
    const a = start(good.transport, { lingerMs: 1000 });
    await until(() => a.tagger.available());
    a.tagger.enqueue([draft(1), draft(2)]);
    await a.tagger.stop();
    expect(good.all()).toHaveLength(2);

    const bad = fakeTransport();
    const b = start(bad.transport, { drainTimeoutMs: 200 });
    await until(() => b.tagger.available());
    bad.state.down = true;
    b.tagger.enqueue([draft(1), draft(2), draft(3)]);
    await b.tagger.stop();
    expect(bad.all()).toHaveLength(0);
    expect(
      (await b.metrics.registry.getSingleMetric('learnloop_router_tags_dropped_total')?.get())?.values[0]?.value,
    ).toBe(3);
  });
});
