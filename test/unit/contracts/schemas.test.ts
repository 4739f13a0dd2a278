import { readdirSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { avroType, readSchemaFile, schemaJson, withDefaults } from '../../../lib/contracts/schemas.ts';
import { catalog, schemasDir, topicNames, topicSpec } from '../../../lib/contracts/topics.ts';
import { sampleEvents } from '../../fixtures/events.ts';

const ts = { type: 'long', logicalType: 'timestamp-millis' };
const nullable = (type: unknown) => ({ type: ['null', type], default: null });
const arm = { type: 'enum', name: 'Arm', symbols: ['baseline', 'candidate', 'shadow'] };

/** The input contract (docs/producers.md), field by field and in order: the contract producers outside learnloop rely on. */
const inputContract: Record<string, Array<[string, unknown]>> = {
  'agent.run.completed.v1': [
    ['eventId', 'string'],
    ['runId', 'string'],
    ['agentId', 'string'],
    ['agentVersionId', 'string'],
    ['experimentId', nullable('string')],
    ['arm', nullable(arm)],
    ['status', { type: 'enum', name: 'RunStatus', symbols: ['succeeded', 'failed', 'timed_out', 'cancelled'] }],
    ['startedAt', ts],
    ['completedAt', ts],
    ['latencyMs', 'long'],
    ['costUsd', 'double'],
    ['inputTokens', 'long'],
    ['outputTokens', 'long'],
    ['toolCalls', 'int'],
    ['toolErrors', 'int'],
    [
      'guardrailHits',
      {
        type: 'array',
        items: {
          type: 'record',
          name: 'GuardrailHit',
          fields: [
            { name: 'rule', type: 'string' },
            { name: 'severity', type: { type: 'enum', name: 'Severity', symbols: ['low', 'medium', 'high'] } },
          ],
        },
      },
    ],
    ['userFeedback', nullable('int')],
    ['unitId', nullable('string')],
  ],
  'agent.run.evaluated.v1': [
    ['eventId', 'string'],
    ['runId', 'string'],
    ['agentId', 'string'],
    ['agentVersionId', 'string'],
    ['experimentId', nullable('string')],
    ['arm', nullable(arm)],
    ['evaluatorId', 'string'],
    ['score', 'double'],
    ['passed', 'boolean'],
    ['failureCategories', { type: 'array', items: 'string' }],
    ['evaluatedAt', ts],
  ],
};

/** The schema JSON without docs, which do not change what is on the wire. */
function withoutDocs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDocs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'doc')
      .map(([k, v]) => [k, withoutDocs(v)]),
  );
}

describe('schemas', () => {
  it('has exactly one .avsc file per catalog topic, named after it', () => {
    const files = readdirSync(schemasDir)
      .filter((f) => f.endsWith('.avsc'))
      .sort();
    expect(files).toEqual(catalog.topics.map((t) => `${t.name}.avsc`).sort());
    for (const t of catalog.topics) expect(t.schemaFile).toBe(`${t.name}.avsc`);
  });

  it.each(topicNames)(
    '%s parses with avsc, in namespace learnloop.v1, with eventId and a timestamp-millis event time',
    (topic) => {
      const spec = topicSpec(topic);
      const raw = readSchemaFile(spec.schemaFile);
      const type = avro.Type.forSchema(raw as Parameters<typeof avro.Type.forSchema>[0]);
      expect(type.name).toBe(`learnloop.v1.${spec.recordName}`);
      expect(raw.fields[0]).toMatchObject({ name: 'eventId', type: 'string' });
      expect(raw.fields.find((f) => f.name === spec.eventTimeField)?.type).toEqual(ts);
    },
  );

  it.each(Object.keys(inputContract))('%s has exactly the fields of the input contract', (topic) => {
    const fields = schemaJson(topic as keyof typeof inputContract & 'agent.run.completed.v1').fields;
    const actual = fields.map((f) => {
      const { name, doc: _doc, ...rest } = f;
      const type = withoutDocs(rest.type);
      return [name, Object.hasOwn(rest, 'default') ? { type, default: rest.default } : type];
    });
    expect(actual).toEqual(inputContract[topic]);
  });

  it('defines a named type used by several schemas identically in each (one TypeScript type stands for all)', () => {
    const seen = new Map<string, { file: string; schema: string }>();
    for (const { schemaFile } of catalog.topics) {
      const registry: Record<string, avro.Type> = {};
      avro.Type.forSchema(readSchemaFile(schemaFile) as Parameters<typeof avro.Type.forSchema>[0], { registry });
      for (const [name, type] of Object.entries(registry)) {
        const schema = JSON.stringify(type.schema({ exportAttrs: true }));
        const first = seen.get(name);
        if (first === undefined) seen.set(name, { file: schemaFile, schema });
        else expect(schema, `${name} in ${schemaFile} and ${first.file}`).toBe(first.schema);
      }
    }
    expect(seen.size).toBeGreaterThan(30);
  });

  it('round-trips every sample event through avsc with Dates, nulls and bytes intact', () => {
    const samples = sampleEvents();
    for (const topic of topicNames) {
      const type = avroType(topic);
      const decoded: unknown = type.fromBuffer(type.toBuffer(samples[topic]));
      expect(decoded, topic).toEqual(samples[topic]);
    }
    const run = avroType('agent.run.completed.v1').fromBuffer(
      avroType('agent.run.completed.v1').toBuffer(samples['agent.run.completed.v1']),
    ) as {
      completedAt: unknown;
    };
    expect(run.completedAt).toBeInstanceOf(Date);
  });

  it('fills the fields a producer leaves out with their defaults', () => {
    const {
      experimentId: _e,
      arm: _a,
      userFeedback: _u,
      unitId: _id,
      ...bare
    } = sampleEvents()['agent.run.completed.v1'];
    const filled = withDefaults('agent.run.completed.v1', bare);
    expect(filled).toMatchObject({ experimentId: null, arm: null, userFeedback: null, unitId: null });
    expect(avroType('agent.run.completed.v1').isValid(filled)).toBe(true);
  });

  it('keeps the topic catalog as the design wants it', () => {
    // Topics read like tables, the latest per key: an experiment's state, an agent's window.
    const compacted = ['learning.experiment.state.v1', 'learning.agent.window.v1'];
    for (const t of catalog.topics) {
      expect(t.key).toBe('agentId');
      expect(t.cleanupPolicy).toBe(compacted.includes(t.name) ? 'compact' : 'delete');
      if (t.role === 'input') expect(t.partitions).toBe(12);
    }
    expect(catalog.topics.filter((t) => t.role === 'input').map((t) => t.name)).toEqual([
      'agent.run.completed.v1',
      'agent.run.evaluated.v1',
    ]);
  });
});
