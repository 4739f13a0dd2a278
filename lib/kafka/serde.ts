import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { avroOptions, avroProblems } from '../contracts/avro.ts';
import { avroType, schemaText } from '../contracts/schemas.ts';
import { subjectFor } from '../contracts/topics.ts';
import type { TopicName, TopicValue } from '../contracts/types.generated.ts';
import { EventValidationError, validateEvent } from '../contracts/validation.ts';

/**
 * Avro in the Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary body) through
 * @kafkajs/confluent-schema-registry, with subjects named `<topic>-value` (TopicNameStrategy).
 */
export interface Serde {
  /** Registers (or finds) the topic's schema in the registry and encodes `value` (validating input events first). */
  encode<T extends TopicName>(topic: T, value: TopicValue[T]): Promise<Buffer>;
  /**
   * Decodes any Confluent-framed Avro payload with the schema it was written with; throws DecodeError (with a `reason`)
   * for a bad magic byte, an unknown schema id, or bytes that do not parse, and RegistryUnavailableError when the
   * registry cannot be reached (so that callers can back off instead of dead-lettering).
   */
  decode(buffer: Buffer): Promise<{ schemaId: number; value: unknown }>;
}

/** The record cannot be decoded, whatever the registry does next: dead-letter it. */
export class DecodeError extends Error {
  readonly reason: string;
  readonly schemaId: number | undefined;
  constructor(reason: string, schemaId?: number, options?: ErrorOptions) {
    super(`cannot decode record: ${reason}`, options);
    this.name = 'DecodeError';
    this.reason = reason;
    this.schemaId = schemaId;
  }
}

/** The registry did not answer usefully (refused, timed out, 5xx, auth): retry later, the record may be fine. */
export class RegistryUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(`schema registry unavailable: ${message}`, options);
    this.name = 'RegistryUnavailableError';
  }
}

export interface SerdeOptions {
  registryUrl: string;
  /** Per HTTP request to the registry; without one a hung registry would hang the consumer. */
  timeoutMs?: number;
}

type Middleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];

const requestTimeout =
  (ms: number): Middleware =>
  () => ({
    async prepareRequest(next) {
      const request = await next();
      return request.timeout() ? request : request.enhance({ timeout: ms });
    },
  });

/**
 * The library rejects with its ResponseError for every HTTP failure, carrying `status`; a failure to connect or a
 * timeout arrives as status 400 (mappersmith's "client error"), so only a real answer of 404 says "no such schema".
 */
function httpStatus(err: unknown): number | undefined {
  if (!(err instanceof Error) || err.name !== 'ResponseError') return undefined;
  const status = (err as Error & { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

function unavailable(err: unknown): RegistryUnavailableError {
  return new RegistryUnavailableError(err instanceof Error ? err.message : String(err), { cause: err });
}

export function createSerde(options: SerdeOptions): Serde {
  const registry = new SchemaRegistry(
    { host: options.registryUrl, middlewares: [requestTimeout(options.timeoutMs ?? 10_000)] },
    { [SchemaType.AVRO]: avroOptions },
  );
  const ids = new Map<TopicName, Promise<number>>();

  async function findOrRegister(topic: TopicName): Promise<number> {
    const subject = subjectFor(topic);
    const schema = { type: SchemaType.AVRO, schema: schemaText(topic) } as const;
    try {
      return await registry.getRegistryIdBySchema(subject, schema);
    } catch (err) {
      // The library turns a 404 (subject or schema not there yet) into its plain ConfluentSchemaRegistryError.
      if (!(err instanceof Error && err.name === 'ConfluentSchemaRegistryError')) throw err;
    }
    const { id } = await registry.register(schema, { subject, compatibility: COMPATIBILITY.BACKWARD });
    return id;
  }

  function schemaId(topic: TopicName): Promise<number> {
    let id = ids.get(topic);
    if (id === undefined) {
      id = findOrRegister(topic);
      ids.set(topic, id);
      // A failed lookup is not cached: the next encode asks again.
      id.catch(() => ids.delete(topic));
    }
    return id;
  }

  return {
    async encode(topic, value) {
      const checked = validateEvent(topic, value);
      if (!checked.ok) throw new EventValidationError(topic, checked.error);
      const shape = avroProblems(avroType(topic), value);
      if (shape.length > 0) throw new EventValidationError(topic, shape.join('; '));
      try {
        return await registry.encode(await schemaId(topic), value);
      } catch (err) {
        const status = httpStatus(err);
        if (
          status !== undefined &&
          (status === 400 || status === 401 || status === 403 || status === 408 || status === 429 || status >= 500)
        ) {
          throw unavailable(err);
        }
        throw err;
      }
    },

    async decode(buffer) {
      if (buffer.length < 5) throw new DecodeError(`${buffer.length} bytes, shorter than the 5-byte Confluent header`);
      if (buffer[0] !== 0) throw new DecodeError(`magic byte ${buffer[0]}, expected 0`);
      const schemaId = buffer.readInt32BE(1);
      try {
        return { schemaId, value: (await registry.decode(buffer)) as unknown };
      } catch (err) {
        const status = httpStatus(err);
        if (status === 404) throw new DecodeError(`unknown schema id ${schemaId}`, schemaId, { cause: err });
        if (status !== undefined) throw unavailable(err);
        const message = err instanceof Error ? err.message : String(err);
        throw new DecodeError(`bytes do not parse with schema id ${schemaId}: ${message}`, schemaId, { cause: err });
      }
    },
  };
}
