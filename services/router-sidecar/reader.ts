import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { backoffDelay } from '../../lib/kafka/retry.ts';
import type { Serde } from '../../lib/kafka/serde.ts';
import type { Logger } from '../../lib/logging.ts';
import { createSleeper } from '../../lib/sleeper.ts';
import {
  recordPosition,
  recordProbe,
  resetPositions,
  stateAgeMs,
  type Freshness,
  type PartitionEnd,
} from './freshness.pure.ts';
import type { RouterMetrics } from './metrics.ts';
import { checkExperimentState, checkVersionPromoted } from './records.pure.ts';
import { applyExperimentState, applyPromotion, removeExperiment, type Table } from './table.pure.ts';

/**
 * Reads learning.experiment.state.v1 and learning.version.promoted.v1 from the beginning into the table, like a
 * table and on every replica: each replica needs every agent, so the consumer's group is unique to the process (it
 * never shares partitions and commits nothing). A probe compares the end offsets with what was read, which gives the
 * readiness (read to the end once) and the state age (see freshness.ts).
 */

export interface StateReaderOptions {
  kafka: Kafka;
  serde: Serde;
  /** Physical topic names (prefixed in tests). */
  stateTopic: string;
  promotionsTopic: string;
  /** The consumer group is this, the host name and a random UUID: unique, but recognisable in the broker's tools. */
  groupPrefix: string;
  table: Table;
  freshness: Freshness;
  logger: Logger;
  metrics: RouterMetrics;
  /** How often the end offsets are probed; the state age is at least this much between probes. */
  probeIntervalMs?: number;
  /** How long stop() waits for the consumer to leave its group. */
  stopTimeoutMs?: number;
  /** Called after each probe (once a second): gauges over the whole table are refreshed there, not per batch. */
  onProbe?: () => void;
}

export interface StateReader {
  stop(): Promise<void>;
}

export function startStateReader(options: StateReaderOptions): StateReader {
  const { kafka, serde, table, freshness, metrics, stateTopic, promotionsTopic } = options;
  const log = options.logger.child({ component: 'state-reader' });
  const probeIntervalMs = options.probeIntervalMs ?? 1000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5000;
  const topics = [stateTopic, promotionsTopic];
  let stopped = false;
  let consumer: Consumer | undefined;
  let admin: Admin | undefined;
  // Cut short by stop(): the backoff, the probe interval, and the wait while a consumer runs.
  const pause = createSleeper();

  /** Decodes one record, waiting out a registry outage (the record may be fine); null for an undecodable one. */
  async function decode(message: KafkaMessage, topic: string, payload: EachBatchPayload): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await serde.decode(message.value!)).value;
      } catch (err) {
        if (err instanceof Error && err.name === 'RegistryUnavailableError' && !stopped && payload.isRunning()) {
          log.warn('schema registry unavailable; retrying the record', { topic, offset: message.offset, err });
          await sleep(backoffDelay(attempt, 200, 5000));
          await payload.heartbeat().catch(() => {});
          continue;
        }
        metrics.stateRecords(
          topic === stateTopic ? 'learning.experiment.state.v1' : 'learning.version.promoted.v1',
          'undecodable',
        );
        log.error('skipping a state record that cannot be decoded', {
          topic,
          partition: payload.batch.partition,
          offset: message.offset,
          err,
        });
        return null;
      }
    }
  }

  async function apply(message: KafkaMessage, topic: string, payload: EachBatchPayload): Promise<void> {
    const logical = topic === stateTopic ? 'learning.experiment.state.v1' : 'learning.version.promoted.v1';
    if (message.value === null || message.value.length === 0) {
      // A tombstone deletes the agent's experiment (compaction then drops the key); promotions have none.
      const agentId = message.key?.toString('utf8');
      if (logical === 'learning.experiment.state.v1' && agentId) {
        table.set(agentId, removeExperiment(table.get(agentId), agentId));
        metrics.stateRecords(logical, 'applied');
      }
      return;
    }
    const value = await decode(message, topic, payload);
    if (value === null) return;
    if (logical === 'learning.experiment.state.v1') {
      const checked = checkExperimentState(value);
      if (!checked.ok) return skip(logical, message, checked.error);
      const state = checked.value;
      const { view, result } = applyExperimentState(table.get(state.agentId), state);
      table.set(state.agentId, view);
      metrics.stateRecords(logical, result);
      if (result === 'applied' && view.experiment?.problem) {
        log.error('experiment state cannot be assigned by; its runs get the live version', {
          agentId: state.agentId,
          experimentId: state.experimentId,
          version: state.version,
          problem: view.experiment.problem,
        });
      }
    } else {
      const checked = checkVersionPromoted(value);
      if (!checked.ok) return skip(logical, message, checked.error);
      const { view, result } = applyPromotion(table.get(checked.value.agentId), checked.value);
      table.set(checked.value.agentId, view);
      metrics.stateRecords(logical, result);
    }
  }

  function skip(topic: string, message: KafkaMessage, problems: string): void {
    metrics.stateRecords(topic, 'undecodable');
    log.error('skipping a state record without the fields the router needs', {
      topic,
      offset: message.offset,
      problems,
    });
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    for (const message of batch.messages) {
      if (stopped || !payload.isRunning()) return;
      await apply(message, batch.topic, payload);
      payload.resolveOffset(message.offset);
    }
    recordPosition(freshness, batch.topic, batch.partition, Number(batch.lastOffset()));
  }

  /** One consumer's life: until it crashes for good (then the supervisor makes a new one) or the reader stops. */
  async function runConsumer(): Promise<void> {
    const c = kafka.consumer({
      groupId: `${options.groupPrefix}-${hostname()}-${randomUUID()}`,
      allowAutoTopicCreation: false,
      readUncommitted: false,
      maxWaitTimeInMs: 500,
      // One member per group: after a lost connection the broker keeps the old member until its session times out,
      // and the consumer cannot rejoin before. A short session keeps that wait short.
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 1000,
    });
    consumer = c;
    const ended = new Promise<void>((resolve) => {
      c.on(c.events.CRASH, ({ payload }) => {
        log.warn('state consumer crashed', { err: payload.error, restart: payload.restart });
        if (!payload.restart) resolve();
      });
    });
    // Batches of control records only (transaction markers) reach no handler; they still move the position.
    c.on(c.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0)
        recordPosition(freshness, payload.topic, payload.partition, Number(payload.lastOffset));
    });
    resetPositions(freshness);
    await c.connect();
    for (const topic of topics) await c.subscribe({ topic, fromBeginning: true });
    // Offsets resolved record by record: a batch cut short (stopping) is not taken as read.
    await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch, partitionsConsumedConcurrently: 1 });
    if (!stopped) await Promise.race([ended, pause.sleep(Number.POSITIVE_INFINITY)]);
  }

  async function supervise(): Promise<void> {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await runConsumer();
        attempt = 0;
      } catch (err) {
        log.warn('state consumer failed to start; retrying', { err });
      }
      if (stopped) return; // stop() disconnects, with a time limit
      await consumer?.disconnect().catch(() => {});
      consumer = undefined;
      await pause.sleep(backoffDelay(attempt, 500, 10_000));
    }
  }

  async function probeOnce(): Promise<void> {
    if (admin === undefined) {
      const a = kafka.admin();
      await a.connect();
      admin = a;
    }
    const startedAt = Date.now();
    const ends: PartitionEnd[] = [];
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic))
        ends.push({ topic, partition: p.partition, low: Number(p.low), high: Number(p.high) });
    }
    const wasReady = freshness.completeAsOfMs !== null;
    recordProbe(freshness, startedAt, ends);
    if (!wasReady && freshness.completeAsOfMs !== null)
      log.info('state read to the end of its topics', { partitions: ends.length, agents: table.size });
  }

  async function probe(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      try {
        await probeOnce();
        failures = 0;
      } catch (err) {
        if (failures++ % 30 === 0) log.warn('probing the state topics failed', { err });
        await admin?.disconnect().catch(() => {});
        admin = undefined;
      }
      metrics.stateAge.set(stateAgeMs(freshness, Date.now()) / 1000);
      options.onProbe?.();
      await pause.sleep(probeIntervalMs);
    }
  }

  const supervising = supervise();
  const probing = probe();

  return {
    async stop() {
      stopped = true;
      pause.close();
      // A consumer still rejoining after an outage (or still connecting) finishes only when that ends; the process is
      // stopping anyway, so the wait is bounded.
      const done = (async () => {
        await consumer?.disconnect().catch(() => {});
        await Promise.all([supervising, probing]);
        await admin?.disconnect().catch(() => {});
      })();
      const timedOut = await Promise.race([done.then(() => false), sleep(stopTimeoutMs, true, { ref: false })]);
      if (timedOut) log.warn('state consumer did not stop in time; leaving it', { timeoutMs: stopTimeoutMs });
    },
  };
}
