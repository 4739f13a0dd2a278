import { execFileSync } from 'node:child_process';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { schemaJson, type RecordSchemaJson } from '../../../lib/contracts/schemas.ts';
import { catalog, topicNames } from '../../../lib/contracts/topics.ts';

type Schema = Parameters<typeof avro.Type.forSchema>[0];

/**
 * BACKWARD compatibility as the registry checks it: a consumer with the new schema reads what the old one wrote.
 * Returns the reason it cannot, or undefined.
 */
function backwardProblem(newer: unknown, older: unknown): string | undefined {
  try {
    avro.Type.forSchema(newer as Schema).createResolver(avro.Type.forSchema(older as Schema));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The file as it is on the main branch, or undefined when it is not there (a new topic) or there is no main. */
function onMain(file: string): string | undefined {
  try {
    return execFileSync('git', ['show', `main:schemas/${file}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

describe('schema evolution', () => {
  it.for(catalog.topics.map((t) => [t.name, t.schemaFile] as const))(
    '%s reads what the version on main wrote',
    ([topic, file], ctx) => {
      const old = onMain(file);
      if (old === undefined) return ctx.skip(`${file} is not on main yet`);
      expect(backwardProblem(schemaJson(topic), JSON.parse(old))).toBeUndefined();
    },
  );

  it.each(topicNames)('%s reads itself (the check has no false alarm)', (topic) => {
    expect(backwardProblem(schemaJson(topic), schemaJson(topic))).toBeUndefined();
  });

  const current = (): RecordSchemaJson => structuredClone(schemaJson('agent.run.completed.v1'));

  it('catches a field added without a default', () => {
    const changed = current();
    changed.fields.push({ name: 'region', type: 'string' });
    expect(backwardProblem(changed, current())).toMatch(/region/);
  });

  it('catches an enum symbol removed', () => {
    const changed = current();
    const status = changed.fields.find((f) => f.name === 'status') as { type: { symbols: string[] } };
    status.type.symbols = status.type.symbols.filter((s) => s !== 'cancelled');
    expect(backwardProblem(changed, current())).toMatch(/RunStatus/);
  });

  it('catches a field whose type changed incompatibly', () => {
    const changed = current();
    (changed.fields.find((f) => f.name === 'costUsd') as { type: unknown }).type = 'int';
    expect(backwardProblem(changed, current())).toBeDefined();
  });

  it('allows an optional field with a default and a removed field', () => {
    const changed = current();
    changed.fields.push({ name: 'region', type: ['null', 'string'], default: null });
    changed.fields = changed.fields.filter((f) => f.name !== 'unitId');
    expect(backwardProblem(changed, current())).toBeUndefined();
  });
});
