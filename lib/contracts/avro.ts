import avro from 'avsc';

/**
 * timestamp-millis as a Date both ways. Without it avsc hands out plain numbers, and a Date given to a long field is
 * rejected; an invalid Date is rejected rather than written as NaN.
 */
export class TimestampMillis extends avro.types.LogicalType {
  protected override _fromValue(value: number): Date {
    return new Date(value);
  }

  protected override _toValue(value: unknown): number | undefined {
    return value instanceof Date && !Number.isNaN(value.getTime()) ? value.getTime() : undefined;
  }

  protected override _resolve(type: avro.Type): ((value: number) => Date) | undefined {
    if (avro.Type.isType(type, 'long', 'logical:timestamp-millis')) return (value) => this._fromValue(value);
    return undefined;
  }
}

/** The avsc options every learnloop schema is parsed with: on the producing and the consuming side alike. */
export const avroOptions = { logicalTypes: { 'timestamp-millis': TimestampMillis } } as const;

/** A schema as avsc takes it (avsc does not export the name of this type). */
export type AvroSchema = Parameters<typeof avro.Type.forSchema>[0];

export function parseAvro(schema: AvroSchema): avro.Type {
  // A copy: avsc stores the named types it meets in the options object, and a second schema would clash with them.
  return avro.Type.forSchema(schema, { ...avroOptions });
}

/** Every path where `value` does not fit `type`, as "path: problem" lines (empty when it fits). */
export function avroProblems(type: avro.Type, value: unknown): string[] {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook: (path: string[], bad: unknown, at: avro.Type) => {
      problems.push(`${path.join('.') || '(record)'}: ${describe(bad)} is not ${expected(at)}`);
    },
  });
  return problems;
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : value.toISOString();
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function expected(type: avro.Type): string {
  const name = type.typeName;
  if (name === 'enum') return `one of ${(type as avro.types.EnumType).symbols.join('|')}`;
  if (name === 'logical:timestamp-millis') return 'a valid Date';
  if (name === 'int') return 'an int (a 32-bit integer)';
  if (name === 'long') return 'a long (an integer below 2^53)';
  if (name === 'union:unwrapped') {
    return (type as avro.types.UnwrappedUnionType).types
      .map((t) => (t.typeName === 'null' ? 'null' : expected(t)))
      .join(' or ');
  }
  return `a valid ${type.name ?? name}`;
}
