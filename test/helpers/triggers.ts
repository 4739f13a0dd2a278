import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { SessionTriggered } from '../../lib/contracts/types.generated.ts';
import type { Serde } from '../../lib/kafka/serde.ts';

/** Collects the session triggers published on a (prefixed) topic, with the time each arrived. */
export async function watchTriggers(kafka: Kafka, serde: Serde, topic: string) {
  const seen: Array<{ at: number; event: SessionTriggered }> = [];
  const consumer = kafka.consumer({ groupId: `watch-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let assigned = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (assigned = true));
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push({ at: Date.now(), event: (await serde.decode(message.value!)).value as SessionTriggered });
    },
  });
  while (!assigned) await new Promise((r) => setTimeout(r, 50));
  return {
    seen,
    async waitFor(count: number, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`saw ${seen.length} triggers, expected ${count}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: () => consumer.disconnect(),
  };
}
