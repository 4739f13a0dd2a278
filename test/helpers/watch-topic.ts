import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Serde } from '../../lib/kafka/serde.ts';

/** Collects the events published on a (prefixed) topic, decoded, with the time each arrived. */
export async function watchTopic<T>(kafka: Kafka, serde: Serde, topic: string) {
  const seen: Array<{ at: number; event: T }> = [];
  const consumer = kafka.consumer({ groupId: `watch-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let assigned = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (assigned = true));
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push({ at: Date.now(), event: (await serde.decode(message.value!)).value as T });
    },
  });
  while (!assigned) await new Promise((r) => setTimeout(r, 50));
  return {
    seen,
    async waitFor(count: number, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`saw ${seen.length} events on ${topic}, expected ${count}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /** The first event that satisfies `predicate`, once it has arrived. */
    async find(predicate: (event: T) => boolean, timeoutMs: number): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find((s) => predicate(s.event));
        if (found) return found.event;
        if (Date.now() > deadline)
          throw new Error(`no matching event on ${topic} within ${timeoutMs} ms (saw ${seen.length})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: () => consumer.disconnect(),
  };
}
