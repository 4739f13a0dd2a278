/**
 * A Kafka cluster id: 16 random bytes, base64url without padding. One that starts with `-` is drawn again, as Kafka's
 * own `Uuid.randomUuid` does: `kafka-storage format -t -abc…` reads such an id as an option and fails (about one cold
 * start in 64 before this).
 */
export function kafkaClusterId(random: (size: number) => Buffer): string {
  for (;;) {
    const id = random(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
