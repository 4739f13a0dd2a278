import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../package-root.ts';
import type { TopicName } from './types.generated.ts';

/** Where the .avsc files and the topic catalog live. */
export const schemasDir = `${join(packageRoot, 'schemas')}/`;

const topicSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9.]*\.v\d+$/, 'a topic name ends in .v<major>'),
    /** input: published by agent services and evaluators (the public contract); output: published by learnloop. */
    role: z.enum(['input', 'output']),
    schemaFile: z.string().regex(/\.avsc$/),
    recordName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/),
    /** The record field whose value is the Kafka key (UTF-8). */
    key: z.literal('agentId'),
    /** The record field that holds the event time. */
    eventTimeField: z.string().min(1),
    partitions: z.number().int().positive(),
    cleanupPolicy: z.enum(['delete', 'compact']),
    /** -1: keep forever (as for a compacted topic). */
    retentionMs: z.number().int().min(-1),
  })
  .strict();

export const catalogSchema = z
  .object({
    namespace: z.string().min(1),
    topics: z.array(topicSpecSchema).min(1),
  })
  .strict()
  .refine((c) => new Set(c.topics.map((t) => t.name)).size === c.topics.length, 'topic names must be unique');

export type TopicSpec = z.infer<typeof topicSpecSchema> & { name: TopicName };
export type Catalog = Omit<z.infer<typeof catalogSchema>, 'topics'> & { topics: readonly TopicSpec[] };

/** Reads and checks schemas/topics.json; a malformed catalog fails at start-up with zod's account of it. */
export function loadCatalog(path = `${schemasDir}topics.json`): Catalog {
  const parsed = catalogSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  // The names are checked against the generated TopicValue map by the "types are up to date" test.
  return parsed as Catalog;
}

export const catalog: Catalog = loadCatalog();

export const topicNames: readonly TopicName[] = catalog.topics.map((t) => t.name);

export function topicSpec(name: TopicName): TopicSpec {
  const spec = catalog.topics.find((t) => t.name === name);
  if (spec === undefined) throw new Error(`unknown topic "${name}"`);
  return spec;
}

/** Subject under TopicNameStrategy. */
export function subjectFor(topic: TopicName): string {
  return `${topic}-value`;
}
