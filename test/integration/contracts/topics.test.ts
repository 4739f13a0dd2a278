import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopics, waitForTopics } from '../../../lib/contracts/topics-apply.ts';
import { catalog, topicSpec } from '../../../lib/contracts/topics.ts';
import { createKafka } from '../../../lib/kafka/client.ts';
import { createLogger } from '../../../lib/logging.ts';
import { testConnection } from '../../setup/connection.ts';

const { ConfigResourceTypes } = kafkajs;
const logger = createLogger({ level: 'error', write: (line) => process.stderr.write(line) });
const kafka = createKafka({
  brokers: testConnection().KAFKA_BROKERS.split(','),
  clientId: 'contracts-topics-test',
  logger,
});
const admin = kafka.admin();
// A unique prefix per run, so that the test can run again and again on the same cluster.
const prefix = `test.${randomUUID().slice(0, 8)}.`;
const drift = `${prefix}drift.agent.run.evaluated.v1`;

async function configs(topic: string): Promise<Map<string, string>> {
  const { resources } = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    includeSynonyms: false,
  });
  return new Map((resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
}

describe('applyTopics on a real cluster', () => {
  beforeAll(() => admin.connect());
  afterAll(async () => {
    const listed = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    // A topic created a moment ago may be missing from the listing: try by name too, then what is listed.
    await admin
      .deleteTopics({ topics: [...new Set([...listed, drift])] })
      .catch(() => (listed.length > 0 ? admin.deleteTopics({ topics: listed }) : undefined));
    await admin.disconnect();
  });

  it('creates the catalog, then a second run changes nothing', async () => {
    const first = await applyTopics({ admin, prefix });
    expect(first.map((r) => r.topic)).toEqual(catalog.topics.map((t) => `${prefix}${t.name}`));
    expect(first.every((r) => r.actions.length === 1 && r.actions[0]?.startsWith('created'))).toBe(true);

    const second = await applyTopics({ admin, prefix });
    expect(second.every((r) => r.actions.length === 0)).toBe(true);

    const metadata = await admin.fetchTopicMetadata({ topics: catalog.topics.map((t) => `${prefix}${t.name}`) });
    for (const t of metadata.topics)
      expect(t.partitions.length).toBe(topicSpec(t.name.slice(prefix.length) as 'learning.dlq.v1').partitions);

    const state = await configs(`${prefix}learning.experiment.state.v1`);
    expect(state.get('cleanup.policy')).toBe('compact');
    const completed = await configs(`${prefix}agent.run.completed.v1`);
    expect(completed.get('cleanup.policy')).toBe('delete');
    expect(completed.get('retention.ms')).toBe(String(topicSpec('agent.run.completed.v1').retentionMs));
  });

  it('raises partitions and corrects configs of an existing topic, keeping overrides it does not manage', async () => {
    const name = drift;
    await admin.createTopics({
      topics: [
        {
          topic: name,
          numPartitions: 3,
          configEntries: [
            { name: 'retention.ms', value: '1000' },
            { name: 'max.message.bytes', value: '2000000' },
          ],
        },
      ],
      waitForLeaders: false,
    });
    await waitForTopics(admin, [name]);
    const spec = topicSpec('agent.run.evaluated.v1');
    const [result] = await applyTopics({ admin, prefix: `${prefix}drift.`, topics: [spec] });
    expect(result?.actions).toEqual([`partitions 3 -> ${spec.partitions}`, `retention.ms 1000 -> ${spec.retentionMs}`]);
    const after = await configs(name);
    expect(after.get('retention.ms')).toBe(String(spec.retentionMs));
    expect(after.get('max.message.bytes')).toBe('2000000');
    const [again] = await applyTopics({ admin, prefix: `${prefix}drift.`, topics: [spec] });
    expect(again?.actions).toEqual([]);

    // More partitions than the catalog's are left alone (lowering would reshuffle keys), with a note.
    const [more] = await applyTopics({ admin, prefix: `${prefix}drift.`, topics: [{ ...spec, partitions: 4 }] });
    expect(more?.actions).toEqual([]);
    expect(more?.notes[0]).toMatch(/has 12 partitions, more than the catalog's 4/);
  });
});
