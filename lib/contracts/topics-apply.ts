import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';
import { catalog, type TopicSpec } from './topics.ts';

const { ConfigResourceTypes, ConfigSource } = kafkajs;

export interface AppliedTopic {
  /** The topic's name on the cluster (with the prefix, if any). */
  topic: string;
  /** What was done, e.g. "created with 12 partitions" or "retention.ms 86400000 -> 604800000"; empty when nothing. */
  actions: string[];
  /** What differs but is left alone: partitions are never lowered. */
  notes: string[];
}

export interface ApplyTopicsOptions {
  /** A connected admin client (from createKafka(...).admin()). */
  admin: Admin;
  /** Put before every topic name: tests use a unique one so that they can run again on the same cluster. */
  prefix?: string;
  topics?: readonly TopicSpec[];
  /** For new topics; by default the broker's default.replication.factor. */
  replicationFactor?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until `check` holds. A KRaft broker applies new topics, partitions and configs to its metadata a moment after
 * the admin call returns, so reading straight back can see the old state (and a second apply would redo the change).
 */
async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not visible after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Waits until every topic has a leader for every partition (kafkajs's waitForLeaders gives up on a topic not yet known). */
export async function waitForTopics(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    `topics ${topics.join(', ')}`,
    async () => {
      try {
        const { topics: found } = await admin.fetchTopicMetadata({ topics: [...topics] });
        return (
          found.length === topics.length &&
          found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
        );
      } catch (err) {
        const type = (err as { type?: unknown }).type;
        if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || type === 'LEADER_NOT_AVAILABLE') return false;
        throw err;
      }
    },
    timeoutMs,
  );
}

async function partitionCounts(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
  return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
}

async function topicConfigs(admin: Admin, topics: readonly string[]) {
  const { resources } = await admin.describeConfigs({
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })),
    includeSynonyms: false,
  });
  return new Map(resources.map((r) => [r.resourceName, r.configEntries]));
}

function desiredConfigs(spec: TopicSpec): Record<string, string> {
  return { 'cleanup.policy': spec.cleanupPolicy, 'retention.ms': String(spec.retentionMs) };
}

/**
 * Makes the cluster match the catalog: creates missing topics, raises partition counts that are lower (never lowers
 * them: that would reshuffle keys), and sets cleanup.policy and retention.ms where they differ. Idempotent.
 */
export async function applyTopics(options: ApplyTopicsOptions): Promise<AppliedTopic[]> {
  const { admin } = options;
  const prefix = options.prefix ?? '';
  const specs = (options.topics ?? catalog.topics).map((spec) => ({ spec, name: `${prefix}${spec.name}` }));
  const results = new Map(
    specs.map(({ name }) => [name, { topic: name, actions: [] as string[], notes: [] as string[] }]),
  );
  const result = (name: string) => results.get(name) as AppliedTopic;

  const existing = new Set(await admin.listTopics());
  const missing = specs.filter(({ name }) => !existing.has(name));
  const present = specs.filter(({ name }) => existing.has(name));

  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map(({ spec, name }) => ({
      topic: name,
      numPartitions: spec.partitions,
      ...(options.replicationFactor === undefined ? {} : { replicationFactor: options.replicationFactor }),
      configEntries: Object.entries(desiredConfigs(spec)).map(([key, value]) => ({ name: key, value })),
    }));
    await admin.createTopics({ topics, waitForLeaders: false });
    await waitForTopics(
      admin,
      missing.map(({ name }) => name),
    );
    for (const { spec, name } of missing)
      result(name).actions.push(
        `created with ${spec.partitions} partitions, cleanup.policy=${spec.cleanupPolicy}, retention.ms=${spec.retentionMs}`,
      );
  }
  if (present.length === 0) return [...results.values()];

  const names = present.map(({ name }) => name);
  const counts = await partitionCounts(admin, names);
  const raise = present.filter(({ spec, name }) => (counts.get(name) ?? 0) < spec.partitions);
  if (raise.length > 0) {
    await admin.createPartitions({
      topicPartitions: raise.map(({ spec, name }) => ({ topic: name, count: spec.partitions })),
    });
    for (const { spec, name } of raise)
      result(name).actions.push(`partitions ${counts.get(name)} -> ${spec.partitions}`);
    await waitUntil('new partitions', async () => {
      const now = await partitionCounts(
        admin,
        raise.map(({ name }) => name),
      );
      return raise.every(({ spec, name }) => (now.get(name) ?? 0) >= spec.partitions);
    });
  }
  for (const { spec, name } of present) {
    const count = counts.get(name) ?? 0;
    if (count > spec.partitions)
      result(name).notes.push(`has ${count} partitions, more than the catalog's ${spec.partitions}: left as is`);
  }

  const described = await topicConfigs(admin, names);
  const alter: Array<{ name: string; spec: TopicSpec; entries: Record<string, string> }> = [];
  for (const { spec, name } of present) {
    const entries = described.get(name) ?? [];
    const current = new Map(entries.map((e) => [e.configName, e.configValue]));
    const changes = Object.entries(desiredConfigs(spec)).filter(([key, value]) => current.get(key) !== value);
    if (changes.length === 0) continue;
    // AlterConfigs replaces the topic's whole set of overrides: keep the ones set on the topic that we do not manage.
    const overrides = Object.fromEntries(
      entries.filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG).map((e) => [e.configName, e.configValue]),
    );
    alter.push({ name, spec, entries: { ...overrides, ...desiredConfigs(spec) } });
    for (const [key, value] of changes)
      result(name).actions.push(`${key} ${current.get(key) ?? '(unset)'} -> ${value}`);
  }
  if (alter.length > 0) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: alter.map(({ name, entries }) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configEntries: Object.entries(entries).map(([key, value]) => ({ name: key, value })),
      })),
    });
    await waitUntil('new topic configs', async () => {
      const now = await topicConfigs(
        admin,
        alter.map(({ name }) => name),
      );
      return alter.every(({ name, spec }) =>
        Object.entries(desiredConfigs(spec)).every(
          ([key, value]) => now.get(name)?.find((e) => e.configName === key)?.configValue === value,
        ),
      );
    });
  }
  return [...results.values()];
}
