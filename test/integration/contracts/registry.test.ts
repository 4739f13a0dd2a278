import { randomUUID } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  registerSchema,
  registerSchemas,
  SchemaRegistryError,
  setCompatibility,
} from '../../../lib/contracts/register.ts';
import { schemaJson, schemaText } from '../../../lib/contracts/schemas.ts';
import { subjectFor, topicNames } from '../../../lib/contracts/topics.ts';
import { createSerde, DecodeError } from '../../../lib/kafka/serde.ts';
import { sampleEvents } from '../../fixtures/events.ts';
import { testConnection } from '../../setup/connection.ts';

const registryUrl = testConnection().SCHEMA_REGISTRY_URL;

describe('the schemas in a real registry', () => {
  it("registers every topic's schema under <topic>-value with BACKWARD compatibility, idempotently", async () => {
    const first = await registerSchemas({ registryUrl });
    const second = await registerSchemas({ registryUrl });
    expect(first.map((r) => r.subject)).toEqual(topicNames.map(subjectFor));
    expect(second.map((r) => r.id)).toEqual(first.map((r) => r.id));
    expect(second.every((r) => r.action === 'unchanged')).toBe(true);
    for (const { subject } of first) {
      const res = await fetch(`${registryUrl}/config/${subject}`);
      expect(await res.json()).toMatchObject({ compatibilityLevel: 'BACKWARD' });
    }
  });

  it('the registry refuses an incompatible change to a subject and accepts a compatible one', async () => {
    const subject = `test-${randomUUID()}-value`;
    onTestFinished(async () => {
      // Soft, then hard delete, so that test subjects do not pile up in the registry.
      await fetch(`${registryUrl}/subjects/${subject}`, { method: 'DELETE' });
      await fetch(`${registryUrl}/subjects/${subject}?permanent=true`, { method: 'DELETE' });
    });
    await setCompatibility({ registryUrl }, subject, 'BACKWARD');
    const id = await registerSchema({ registryUrl }, subject, schemaText('agent.run.completed.v1'));
    const base = schemaJson('agent.run.completed.v1');
    const required = { ...base, fields: [...base.fields, { name: 'region', type: 'string' }] };
    const refused = await registerSchema({ registryUrl }, subject, JSON.stringify(required)).catch(
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(SchemaRegistryError);
    expect((refused as SchemaRegistryError).status).toBe(409);
    const optional = { ...base, fields: [...base.fields, { name: 'region', type: ['null', 'string'], default: null }] };
    expect(await registerSchema({ registryUrl }, subject, JSON.stringify(optional))).not.toBe(id);
  });

  it('encodes and decodes a sample of every topic in the Confluent wire format, Dates and nulls intact', async () => {
    const serde = createSerde({ registryUrl });
    const samples = sampleEvents();
    const ids = new Map((await registerSchemas({ registryUrl })).map((r) => [r.topic, r.id]));
    for (const topic of topicNames) {
      const bytes = await serde.encode(topic, samples[topic]);
      expect(bytes[0], topic).toBe(0);
      expect(bytes.readInt32BE(1), topic).toBe(ids.get(topic));
      // A fresh serde, as a consumer in another process would have: it learns the schema from the id alone.
      const decoded = await createSerde({ registryUrl }).decode(bytes);
      expect(decoded, topic).toEqual({ schemaId: ids.get(topic), value: samples[topic] });
    }
    const { value } = await serde.decode(
      await serde.encode('learning.experiment.state.v1', samples['learning.experiment.state.v1']),
    );
    expect((value as { changedAt: unknown }).changedAt).toBeInstanceOf(Date);
    expect((value as { sessionId: unknown }).sessionId).toBeNull();
  });

  it('rejects an invalid input event before encoding it', async () => {
    const serde = createSerde({ registryUrl });
    const bad = { ...sampleEvents()['agent.run.evaluated.v1'], score: 1.5 };
    await expect(serde.encode('agent.run.evaluated.v1', bad)).rejects.toThrow(/score: must be in \[0, 1\]/);
  });

  it('decoding random bytes or an unknown schema id throws DecodeError with the reason', async () => {
    const serde = createSerde({ registryUrl });
    const random = Buffer.from('5d0c9a77e1f04b2a', 'hex');
    const err = await serde.decode(random).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).reason).toMatch(/magic byte/);

    const unknownId = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2, 3]);
    const unknown = await serde.decode(unknownId).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(DecodeError);
    expect((unknown as DecodeError).reason).toBe(`unknown schema id ${0x7ffffff0}`);

    const id = (await registerSchemas({ registryUrl, topics: ['agent.run.completed.v1'] }))[0]?.id ?? 0;
    const garbage = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from('not avro at all, really not')]);
    garbage.writeInt32BE(id, 1);
    const unparsable = await serde.decode(garbage).catch((e: unknown) => e);
    expect(unparsable).toBeInstanceOf(DecodeError);
    expect((unparsable as DecodeError).reason).toMatch(/do not parse/);
  });
});
