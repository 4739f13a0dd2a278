/**
 * Size limits that keep one record from stopping the loop (docs/consumer-runtime.md, "Records too large").
 *
 * The broker refuses a record batch over `message.max.bytes` (1,048,588 by default); a dead letter wraps a record
 * that was already close to that, and an outbox row may be anything a handler produced. Staying under a round
 * million leaves room for the batch's own framing and headers.
 */
export const maxRecordBytes = 1_000_000;

/** An error text is for people: a few kilobytes say what went wrong; more would only crowd the record. */
export const maxDeadLetterErrorChars = 4000;

/** Ids travel as Kafka keys, header values and primary keys; the contract bounds them (docs/producers.md). */
export const maxIdBytes = 512;

/** The bytes an outbox row or a record takes on the wire, framing aside. */
export function recordBytes(record: {
  key: Buffer | null;
  value: Buffer;
  headers?: Readonly<Record<string, string>>;
}): number {
  let size = (record.key?.length ?? 0) + record.value.length;
  for (const [name, value] of Object.entries(record.headers ?? {}))
    size += Buffer.byteLength(name) + Buffer.byteLength(value);
  return size;
}

/** Whether a dead letter can carry the original key and value itself, or must point at a stored copy. */
export function deadLetterCarriesOriginal(key: Buffer | null, value: Buffer, error: string): boolean {
  // The rest of the dead letter (ids, topic names, timestamps) is well under a kilobyte each.
  const envelope = 4 * maxIdBytes + 1024;
  return (key?.length ?? 0) * 2 + value.length + Buffer.byteLength(error) + envelope <= maxRecordBytes;
}

/** An error text cut to a readable length, saying that it was cut. */
export function boundedError(error: string): string {
  if (error.length <= maxDeadLetterErrorChars) return error;
  return `${error.slice(0, maxDeadLetterErrorChars)}… (${error.length - maxDeadLetterErrorChars} more characters)`;
}
