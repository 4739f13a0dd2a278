import type { Kafka, Producer } from 'kafkajs';
import type { RunAssigned } from '../../lib/contracts/types.generated.ts';
import { createProducer } from '../../lib/kafka/client.ts';
import { backoffDelay } from '../../lib/kafka/retry.ts';
import type { Serde } from '../../lib/kafka/serde.ts';
import type { Logger } from '../../lib/logging.ts';
import { createSleeper } from '../../lib/sleeper.ts';
import type { TagDraft } from './decide.pure.ts';
import type { RouterMetrics } from './metrics.ts';
import { toRunAssigned } from './tags.pure.ts';

/**
 * Publishes the tags of enrolled runs to agent.run.assigned.v1 off the request path: requests append to a bounded
 * buffer and return; one loop sends the buffer in batches. A tag leaves the buffer only when Kafka acknowledged it, so
 * a tag handed out is reported unless the process dies while Kafka is unreachable (then it is counted as dropped).
 * While the buffer is full, or Kafka is down (not connected, the last send failed, or the oldest tag waits longer than
 * maxDelayMs), `available()`/`room()` tell the router to stop enrolling.
 */

/** The Kafka side, behind an interface so that the benchmark and unit tests can put something else there. */
export interface TagTransport {
  connect(): Promise<void>;
  send(tags: readonly RunAssigned[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface KafkaTagTransportOptions {
  kafka: Kafka;
  serde: Serde;
  /** The physical topic (a test's prefixed one, or agent.run.assigned.v1). */
  topic: string;
}

export function kafkaTagTransport(options: KafkaTagTransportOptions): TagTransport {
  let producer: Producer | undefined;
  return {
    async connect() {
      // A fresh producer after every failure: a new producer id instead of sequence numbers Kafka may have lost.
      // Duplicates this can cause carry the same deterministic eventId, which consumers dedupe.
      producer = createProducer(options.kafka, {
        idempotent: true,
        maxInFlightRequests: 1,
        // Few retries inside kafkajs: the tagger retries a failed batch itself and stops enrolling meanwhile (kafkajs
        // warns that this weakens its idempotence; a tag resent after that carries the same eventId, and consumers
        // count a run once per (experiment, run, arm)).
        retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      await producer.connect();
    },
    async send(tags) {
      if (producer === undefined) throw new Error('tag producer not connected');
      const messages = await Promise.all(
        tags.map(async (tag) => ({
          key: Buffer.from(tag.agentId, 'utf8'),
          value: await options.serde.encode('agent.run.assigned.v1', tag),
        })),
      );
      await producer.send({ topic: options.topic, acks: -1, messages });
    },
    async disconnect() {
      const p = producer;
      producer = undefined;
      await p?.disconnect();
    },
  };
}

export interface TaggerOptions {
  transport: TagTransport;
  /** Tags buffered at most; beyond it the router stops enrolling. */
  capacity: number;
  /** The oldest unpublished tag may wait this long before Kafka counts as down. */
  maxDelayMs: number;
  /** Wait this long after the first tag of a batch for more (fewer, larger sends). */
  lingerMs?: number;
  batchSize?: number;
  /** How long stop() keeps trying to publish what is buffered. */
  drainTimeoutMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  logger: Logger;
  metrics: RouterMetrics;
  now?: () => number;
}

export interface Tagger {
  available(): boolean;
  room(): number;
  /** Buffers tags; the caller has checked room() and available(). */
  enqueue(tags: readonly TagDraft[]): void;
  pending(): number;
  /** Publishes what is buffered (best effort, bounded by drainTimeoutMs), then disconnects. */
  stop(): Promise<void>;
}

export function startTagger(options: TaggerOptions): Tagger {
  const { transport, capacity, maxDelayMs, metrics } = options;
  const log = options.logger.child({ component: 'tagger' });
  const now = options.now ?? Date.now;
  const lingerMs = options.lingerMs ?? 5;
  const batchSize = options.batchSize ?? 500;
  const drainTimeoutMs = options.drainTimeoutMs ?? 5000;
  const backoff = options.backoff ?? { initialMs: 200, maxMs: 5000 };

  const buffer: TagDraft[] = [];
  let connected = false;
  let lastSendOk = true;
  let failures = 0;
  let stopping = false;
  /** Set when stop() gave up waiting: the loop ends at its next turn, whatever it holds. */
  let halted = false;
  let drainDeadline = Number.POSITIVE_INFINITY;
  // Pauses end early when nudged (new tags, stop); a nudge while no pause is in progress is not kept: the loop looks at
  // the buffer before it pauses again.
  const idle = createSleeper();
  const nudge = () => {
    if (idle.sleeping) idle.wake();
  };
  const pause = (ms: number) => idle.sleep(ms);
  const updateGauges = () => {
    metrics.tagBuffer.set(buffer.length);
    metrics.taggingAvailable.set(available() ? 1 : 0);
  };

  function available(): boolean {
    if (!connected || !lastSendOk || stopping) return false;
    const oldest = buffer[0];
    return oldest === undefined || now() - oldest.assignedAtMs <= maxDelayMs;
  }

  async function failed(what: string, err: unknown): Promise<void> {
    connected = false;
    lastSendOk = false;
    const delay = backoffDelay(failures++, backoff.initialMs, backoff.maxMs);
    log.warn(`${what} failed; retrying`, { err, delayMs: delay, buffered: buffer.length });
    updateGauges();
    await transport.disconnect().catch(() => {});
    // While draining for a stop, retry sooner: the deadline bounds it.
    await pause(stopping ? Math.min(delay, 100) : delay);
  }

  async function loop(): Promise<void> {
    while (!halted && (!stopping || (buffer.length > 0 && now() < drainDeadline))) {
      if (!connected) {
        try {
          await transport.connect();
          connected = true;
          lastSendOk = true;
          updateGauges();
          log.info('tag producer connected');
        } catch (err) {
          await failed('connecting the tag producer', err);
          continue;
        }
      }
      if (buffer.length === 0) {
        updateGauges();
        await pause(1000);
        continue;
      }
      if (!stopping && buffer.length < batchSize) await pause(lingerMs);
      const batch = buffer.slice(0, batchSize);
      try {
        await transport.send(batch.map(toRunAssigned));
        buffer.splice(0, batch.length);
        failures = 0;
        lastSendOk = true;
        metrics.tagsPublished.inc(batch.length);
        updateGauges();
      } catch (err) {
        metrics.tagPublishFailures.inc();
        await failed('publishing tags', err);
      }
    }
  }

  const running = loop().catch((err: unknown) => log.error('tag loop ended unexpectedly', { err }));
  updateGauges();

  return {
    available,
    room: () => capacity - buffer.length,
    enqueue(tags) {
      for (const tag of tags) buffer.push(tag);
      metrics.tagsEnqueued.inc(tags.length);
      if (buffer.length >= batchSize) nudge();
      else if (buffer.length === tags.length) nudge();
    },
    pending: () => buffer.length,
    async stop() {
      stopping = true;
      drainDeadline = now() + drainTimeoutMs;
      nudge();
      // The loop may be inside a connect or send that takes its own time; do not wait past the deadline for it.
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, drainTimeoutMs + 100).unref())]);
      halted = true;
      nudge();
      if (buffer.length > 0) {
        metrics.tagsDropped.inc(buffer.length);
        log.error('tags handed out but not published before shutdown', { dropped: buffer.length });
      }
      updateGauges();
      await transport.disconnect().catch(() => {});
    },
  };
}
