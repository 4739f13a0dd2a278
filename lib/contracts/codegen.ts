import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../package-root.ts';
import { readSchemaFile, type RecordSchemaJson } from './schemas.ts';
import { catalog } from './topics.ts';

/**
 * Writes lib/contracts/types.generated.ts from schemas/*.avsc, so that every event type is written once, in Avro.
 * Run it with `node lib/contracts/codegen.ts` (or `learnloop schemas codegen`) after changing a schema; a unit test
 * fails while the checked-in file differs from a fresh generation.
 */

export const generatedTypesPath = join(packageRoot, 'lib', 'contracts', 'types.generated.ts');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const primitives: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

interface Named {
  /** The definition with every reference expanded: two files define the same type only if these are equal. */
  expanded: string;
  file: string;
  code: string;
}

/** Walks every schema, collecting named types in order of first appearance and checking that reuses are identical. */
class Collector {
  readonly named = new Map<string, Named>();
  private readonly shortNames = new Map<string, string>();

  /**
   * The TypeScript type of an Avro type. `scope` holds the named types defined so far in the file being walked: Avro
   * requires a definition before any reference by name.
   */
  typeOf(node: Json, file: string, namespace: string, scope: Map<string, JsonObject>): string {
    if (typeof node === 'string') {
      const primitive = primitives[node];
      if (primitive !== undefined) return primitive;
      const fullName = qualify(node, namespace);
      if (!scope.has(fullName)) throw new Error(`${file}: "${node}" is used before it is defined`);
      return shortName(fullName);
    }
    if (Array.isArray(node)) {
      const branches = node.map((branch) => this.typeOf(branch, file, namespace, scope));
      const others = branches.filter((b) => b !== 'null');
      if (others.length !== 1)
        throw new Error(`${file}: only unions of null and one type are supported, not ${JSON.stringify(node)}`);
      return branches.length === 2 ? `${others[0]} | null` : (others[0] as string);
    }
    if (node === null || typeof node !== 'object') throw new Error(`${file}: not a type: ${JSON.stringify(node)}`);
    const type = node['type'];
    if (node['logicalType'] !== undefined) {
      if (node['logicalType'] === 'timestamp-millis' && type === 'long') return 'Date';
      throw new Error(`${file}: logical type ${JSON.stringify(node['logicalType'])} has no TypeScript mapping yet`);
    }
    switch (type) {
      case 'record':
      case 'enum':
        return this.define(node, file, namespace, scope);
      case 'array': {
        const items = this.typeOf(node['items'] as Json, file, namespace, scope);
        return /^\w+$/.test(items) ? `${items}[]` : `Array<${items}>`;
      }
      case 'map':
        return `Record<string, ${this.typeOf(node['values'] as Json, file, namespace, scope)}>`;
      default:
        if (typeof type === 'string' && primitives[type] !== undefined) return primitives[type];
        throw new Error(`${file}: unsupported type ${JSON.stringify(node)}`);
    }
  }

  private define(node: JsonObject, file: string, outer: string, scope: Map<string, JsonObject>): string {
    const fullName = qualify(String(node['name']), typeof node['namespace'] === 'string' ? node['namespace'] : outer);
    const namespace = fullName.slice(0, fullName.lastIndexOf('.'));
    const name = shortName(fullName);
    const clash = this.shortNames.get(name);
    if (clash !== undefined && clash !== fullName)
      throw new Error(`${file}: ${fullName} and ${clash} would both be the TypeScript type ${name}`);
    this.shortNames.set(name, fullName);
    if (scope.has(fullName)) throw new Error(`${file}: ${fullName} is defined twice`);
    scope.set(fullName, node);

    // Fields first, so that every type nested in this one is in scope when the definition is expanded.
    const fields = node['type'] === 'record' ? this.fieldsOf(node, file, namespace, scope) : [];
    const expanded = JSON.stringify(expand(node, namespace, scope));
    const known = this.named.get(fullName);
    if (known !== undefined) {
      if (known.expanded !== expanded)
        throw new Error(`${fullName} differs between ${known.file} and ${file}: a reused type must be identical`);
      return name;
    }
    const code = node['type'] === 'enum' ? enumCode(node, name) : recordCode(node, name, fields);
    this.named.set(fullName, { expanded, file, code });
    return name;
  }

  private fieldsOf(node: JsonObject, file: string, namespace: string, scope: Map<string, JsonObject>): string[] {
    return (node['fields'] as JsonObject[]).map((field) => {
      const type = this.typeOf(field['type'] as Json, file, namespace, scope);
      return `${docComment(field['doc'], '  ')}  ${String(field['name'])}: ${type};`;
    });
  }
}

function qualify(name: string, namespace: string): string {
  return name.includes('.') || namespace === '' ? name : `${namespace}.${name}`;
}

function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

/** The definition with names qualified and references replaced by what they name, docs and defaults kept. */
function expand(node: Json, namespace: string, scope: Map<string, JsonObject>, seen = new Set<string>()): Json {
  if (typeof node === 'string') {
    if (primitives[node] !== undefined) return node;
    const fullName = qualify(node, namespace);
    const definition = scope.get(fullName);
    if (definition === undefined || seen.has(fullName)) return fullName;
    return expand(definition, namespace, scope, seen);
  }
  if (Array.isArray(node)) return node.map((n) => expand(n, namespace, scope, seen));
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = { ...node };
  if (node['type'] === 'record' || node['type'] === 'enum') {
    const fullName = qualify(
      String(node['name']),
      typeof node['namespace'] === 'string' ? node['namespace'] : namespace,
    );
    seen.add(fullName);
    out['name'] = fullName;
    delete out['namespace'];
    const inner = fullName.slice(0, fullName.lastIndexOf('.'));
    if (Array.isArray(node['fields'])) {
      out['fields'] = (node['fields'] as JsonObject[]).map((f) => ({
        ...f,
        type: expand(f['type'] as Json, inner, scope, seen),
      }));
    }
    return out;
  }
  if (node['items'] !== undefined) out['items'] = expand(node['items'], namespace, scope, seen);
  if (node['values'] !== undefined) out['values'] = expand(node['values'], namespace, scope, seen);
  return out;
}

function docComment(doc: Json | undefined, indent: string): string {
  return typeof doc === 'string' && doc !== '' ? `${indent}/** ${doc.replaceAll('*/', '*\\/')} */\n` : '';
}

function recordCode(node: JsonObject, name: string, fields: string[]): string {
  return `${docComment(node['doc'], '')}export interface ${name} {\n${fields.join('\n')}\n}`;
}

function enumCode(node: JsonObject, name: string): string {
  const constName = `${name[0]?.toLowerCase()}${name.slice(1)}Symbols`;
  const symbols = (node['symbols'] as string[]).map((s) => `'${s}'`);
  const oneLine = `export const ${constName} = [${symbols.join(', ')}] as const;`;
  const list =
    oneLine.length <= 120
      ? oneLine
      : `export const ${constName} = [\n${symbols.map((s) => `  ${s},`).join('\n')}\n] as const;`;
  return `${docComment(node['doc'], '')}${list}\nexport type ${name} = (typeof ${constName})[number];`;
}

const header = `// Generated by lib/contracts/codegen.ts from schemas/*.avsc and schemas/topics.json: do not edit by hand.
// After changing a schema, run \`node lib/contracts/codegen.ts\` (or \`learnloop schemas codegen\`).
//
// Avro long maps to number: learnloop's longs are epoch milliseconds, durations, counts and versions, all far below
// 2^53, where a double is exact; avsc refuses to decode a long beyond that rather than round it.
// timestamp-millis maps to Date (lib/contracts/avro.ts), bytes to Buffer, a union with null to T | null.`;

/** The text of types.generated.ts for the schemas and catalog as they are now. */
export function generateTypes(): string {
  const collector = new Collector();
  const topics: Array<{ name: string; record: string; defaulted: string[] }> = [];
  for (const topic of catalog.topics) {
    const schema = readSchemaFile(topic.schemaFile);
    if (schema.type !== 'record') throw new Error(`${topic.schemaFile}: a topic's schema must be a record`);
    if (schema.name !== topic.recordName || schema.namespace !== catalog.namespace) {
      throw new Error(
        `${topic.schemaFile}: record ${schema.namespace}.${schema.name}, but the catalog says ${catalog.namespace}.${topic.recordName}`,
      );
    }
    const fields = schema.fields.map((f) => f.name);
    // The key is not checked: a dead letter keeps its source record's key (an agentId) without a field for it.
    if (!fields.includes(topic.eventTimeField))
      throw new Error(`${topic.schemaFile}: the catalog's event time "${topic.eventTimeField}" is not a field`);
    const record = collector.typeOf(schema as unknown as Json, topic.schemaFile, catalog.namespace, new Map());
    topics.push({ name: topic.name, record, defaulted: defaultedFields(schema) });
  }
  const types = [...collector.named.values()].map((n) => n.code);
  const topicValue = topics.map((t) => `  '${t.name}': ${t.record};`);
  const defaulted = topics.map(
    (t) => `  '${t.name}': ${t.defaulted.length === 0 ? 'never' : t.defaulted.map((f) => `'${f}'`).join(' | ')};`,
  );
  return `${[
    header,
    ...types,
    `/** Each topic's record (the Kafka value). */\nexport interface TopicValue {\n${topicValue.join('\n')}\n}`,
    'export type TopicName = keyof TopicValue;',
    `/** Each topic's fields that have a default: a producer may leave them out. */\nexport interface TopicDefaultedFields {\n${defaulted.join('\n')}\n}`,
    '/** What a producer must give: the record, with its defaulted fields optional. */\n' +
      'export type TopicInput<T extends TopicName> = Omit<TopicValue[T], TopicDefaultedFields[T]> &\n' +
      '  Partial<Pick<TopicValue[T], TopicDefaultedFields[T] & keyof TopicValue[T]>>;',
  ].join('\n\n')}\n`;
}

function defaultedFields(schema: RecordSchemaJson): string[] {
  return schema.fields.filter((f) => Object.hasOwn(f, 'default')).map((f) => f.name);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(generatedTypesPath, generateTypes());
  process.stdout.write(`wrote ${generatedTypesPath}\n`);
}
