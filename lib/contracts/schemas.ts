import { readFileSync } from 'node:fs';
import type avro from 'avsc';
import { parseAvro } from './avro.ts';
import { schemasDir, topicSpec } from './topics.ts';
import type { TopicInput, TopicName, TopicValue } from './types.generated.ts';

/** The JSON of a record schema as written in its .avsc file. */
export interface RecordSchemaJson {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  fields: Array<{ name: string; type: unknown; doc?: string; default?: unknown }>;
}

const raw = new Map<TopicName, RecordSchemaJson>();
const parsed = new Map<TopicName, avro.Type>();

export function readSchemaFile(file: string): RecordSchemaJson {
  return JSON.parse(readFileSync(`${schemasDir}${file}`, 'utf8')) as RecordSchemaJson;
}

/** The topic's schema as JSON (read once). */
export function schemaJson(topic: TopicName): RecordSchemaJson {
  let schema = raw.get(topic);
  if (schema === undefined) {
    schema = readSchemaFile(topicSpec(topic).schemaFile);
    raw.set(topic, schema);
  }
  return schema;
}

/**
 * The exact text registered for the topic. The registry (Apicurio at least) tells versions apart by their text, so
 * every registration sends the same compact JSON whatever the file's layout.
 */
export function schemaText(topic: TopicName): string {
  return JSON.stringify(schemaJson(topic));
}

/** The topic's schema parsed by avsc with learnloop's logical types (timestamp-millis as Date). */
export function avroType(topic: TopicName): avro.Type {
  let type = parsed.get(topic);
  if (type === undefined) {
    type = parseAvro(schemaJson(topic) as Parameters<typeof parseAvro>[0]);
    parsed.set(topic, type);
  }
  return type;
}

/** The event with every field it leaves out set to the schema's default (null for the optional fields). */
export function withDefaults<T extends TopicName>(topic: T, event: TopicInput<T>): TopicValue[T] {
  const filled: Record<string, unknown> = { ...event };
  for (const field of (avroType(topic) as avro.types.RecordType).fields) {
    if (filled[field.name] !== undefined) continue;
    const value: unknown = field.defaultValue();
    if (value !== undefined) filled[field.name] = value;
  }
  return filled as unknown as TopicValue[T];
}
