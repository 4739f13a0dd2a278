import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createKafka } from '../../../lib/kafka/client.ts';
import { createSerde } from '../../../lib/kafka/serde.ts';
import { createLogger } from '../../../lib/logging.ts';
import type { Assignment } from '../../../services/router-sidecar/decide.pure.ts';
import { kafkaTagTransport } from '../../../services/router-sidecar/tagger.ts';
import { topicPrefix } from '../../helpers/kafka-topics.ts';
import { createRouterTopics, experimentState } from '../../helpers/router.ts';
import { testConnection } from '../../setup/connection.ts';
import {
  assign,
  deadPort,
  metricValue,
  publish,
  readTags,
  startTestRouter,
  switchableSockets,
  tagsHandedOut,
  tagsReported,
  waitFor,
  waitReady,
} from './support.ts';

/**
 * Kafka stopping, for the router only: the shared broker keeps running for the other tests, and the router's own
 * connections are cut (a socket factory with a switch) or pointed at a port where nothing listens.
 */

const connection = testConnection();
const brokers = connection.KAFKA_BROKERS.split(',');
const quiet = createLogger({ level: 'error', write: () => {} });
const kafka = createKafka({ brokers, clientId: 'router-outage-test', logger: quiet });
const serde = createSerde({ registryUrl: connection.SCHEMA_REGISTRY_URL });
const split = { candidateBasisPoints: 5000, baselineBasisPoints: 5000, shadowSampleBasisPoints: 0 };

describe('the router with Kafka unreachable', () => {
  it('keeps answering with the live version, and every tag it handed out is reported once Kafka is back', async () => {
    const prefix = topicPrefix('router-outage');
    await createRouterTopics(kafka, prefix);
    await publish(kafka, serde, prefix, { states: [experimentState({ trafficSplit: split })] });
    const sockets = switchableSockets(await deadPort());
    const routerKafka = createKafka({
      brokers,
      clientId: 'router-under-test',
      logger: quiet,
      config: {
        socketFactory: sockets.factory,
        connectionTimeout: 500,
        requestTimeout: 2000,
        retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
      },
    });
    const registry = new Registry();
    const router = await startTestRouter(routerKafka, serde, prefix, quiet, {
      metrics: registry,
      maxStateAgeMs: 3000,
      tagMaxDelayMs: 1000,
    });
    const answers: Assignment[] = [];
    let n = 0;
    const ask = async () => {
      const started = performance.now();
      const a = await assign(router.httpPort, 'agent-1', `run-${n}`, `user-${n}`);
      n++;
      answers.push(a);
      return { a, ms: performance.now() - started };
    };
    try {
      await waitReady(router);
      await waitFor('enrolling', async () => ((await ask()).a.arm !== null ? true : undefined));
      for (let i = 0; i < 100; i++) await ask();
      const beforeCut = answers.filter((a) => a.arm !== null).length;
      expect(beforeCut).toBeGreaterThan(50);

      sockets.off();
      const cutAt = Date.now();
      let slowest = 0;
      const during: Assignment[] = [];
      while (Date.now() - cutAt < 6000) {
        const { a, ms } = await ask();
        during.push(a);
        slowest = Math.max(slowest, ms);
        await sleep(5);
      }
      // Answers kept coming, fast, and settled on the live version untagged.
      expect(during.length).toBeGreaterThan(200);
      expect(slowest).toBeLessThan(500);
      const last = during.slice(-50);
      for (const a of last)
        expect(a).toMatchObject({ versionId: 'v-base', experimentId: null, arm: null, shadow: null });
      expect(
        await metricValue(registry, 'learnloop_router_fail_safe_total', { reason: 'stale_state' }),
      ).toBeGreaterThan(0);
      expect(
        await metricValue(registry, 'learnloop_router_fail_safe_total', { reason: 'tagging_unavailable' }),
      ).toBeGreaterThan(0);

      sockets.on();
      await waitFor(
        'tags flushed after Kafka came back',
        async () => (router.tagger.pending() === 0 && router.tagger.available() ? true : undefined),
        30_000,
      );
      await waitFor('enrolling again', async () => ((await ask()).a.arm !== null ? true : undefined), 30_000);
      await waitFor('tags flushed', async () => (router.tagger.pending() === 0 ? true : undefined), 30_000);
      // The state consumer came back too: a change published now is applied.
      await publish(kafka, serde, prefix, {
        states: [experimentState({ version: 2, status: 'paused', trafficSplit: split })],
      });
      await waitFor(
        'pause applied after the outage',
        async () => ((await ask()).a.arm === null ? true : undefined),
        20_000,
      );
      for (let i = 0; i < 20; i++) expect((await ask()).a.arm).toBeNull();
    } finally {
      await router.stop();
    }
    expect(await metricValue(registry, 'learnloop_router_tags_dropped_total')).toBe(0);
    // Nothing tagged that is not reported, and nothing reported that was not handed out.
    const reported = tagsReported(await readTags(kafka, serde, prefix));
    expect(reported).toEqual(tagsHandedOut(answers));
  });

  it('never enrols a run while its tags cannot be published (a tag broker that is not there)', async () => {
    const prefix = topicPrefix('router-notags');
    await createRouterTopics(kafka, prefix);
    await publish(kafka, serde, prefix, { states: [experimentState({ trafficSplit: split })] });
    const nowhere = createKafka({
      brokers: [`127.0.0.1:${await deadPort()}`],
      clientId: 'router-dead-tags',
      logger: quiet,
      config: { connectionTimeout: 300, retry: { retries: 1, initialRetryTime: 100 } },
    });
    const registry = new Registry();
    const router = await startTestRouter(kafka, serde, prefix, quiet, {
      metrics: registry,
      tagTransport: kafkaTagTransport({ kafka: nowhere, serde, topic: `${prefix}.agent.run.assigned.v1` }),
    });
    try {
      await waitReady(router);
      await waitFor('state applied', async () => (router.core.describe('agent-1').experiment ? true : undefined));
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, i) => assign(router.httpPort, 'agent-1', `run-${i}`, `user-${i}`)),
      );
      for (const a of answers) expect(a).toMatchObject({ versionId: 'v-base', experimentId: null, arm: null });
      expect(await metricValue(registry, 'learnloop_router_fail_safe_total', { reason: 'tagging_unavailable' })).toBe(
        100,
      );
      expect(router.tagger.pending()).toBe(0);
    } finally {
      await router.stop();
    }
    expect(await readTags(kafka, serde, prefix)).toEqual([]);
  });

  it('serves fail-safe answers before any state could be read, and is not ready', async () => {
    const nowhere = createKafka({
      brokers: [`127.0.0.1:${await deadPort()}`],
      clientId: 'router-no-state',
      logger: quiet,
      config: { connectionTimeout: 300, retry: { retries: 1 } },
    });
    const registry = new Registry();
    const router = await startTestRouter(nowhere, serde, topicPrefix('router-nostate'), quiet, { metrics: registry });
    try {
      const a = await assign(router.httpPort, 'agent-1', 'run-1', 'user-1');
      expect(a).toEqual({
        agentId: 'agent-1',
        runId: 'run-1',
        versionId: null,
        experimentId: null,
        arm: null,
        shadow: null,
      });
      expect((await fetch(`http://127.0.0.1:${router.httpPort}/readyz`)).status).toBe(503);
      expect(await metricValue(registry, 'learnloop_router_fail_safe_total', { reason: 'no_state' })).toBe(1);
    } finally {
      await router.stop();
    }
  });
});
