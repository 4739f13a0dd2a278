import { schemaText } from './schemas.ts';
import { subjectFor, topicNames } from './topics.ts';
import type { TopicName } from './types.generated.ts';

/** The registry answered with an error (e.g. 409 for an incompatible schema), or could not be reached (status 0). */
export class SchemaRegistryError extends Error {
  readonly status: number;
  readonly errorCode: number | undefined;
  constructor(message: string, status: number, errorCode?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SchemaRegistryError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

export interface RegistryOptions {
  registryUrl: string;
  timeoutMs?: number;
}

/** One request to the Confluent-compatible API; resolves with the JSON body and its status. */
async function call(
  options: RegistryOptions,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const url = `${options.registryUrl.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (err) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause.
    const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    throw new SchemaRegistryError(
      `${method} ${url}: ${err instanceof Error ? err.message : String(err)}${cause}`,
      0,
      undefined,
      { cause: err },
    );
  }
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

function failure(method: string, path: string, status: number, json: unknown): SchemaRegistryError {
  const body = (json ?? {}) as { message?: unknown; error_code?: unknown };
  const message = typeof body.message === 'string' ? body.message : JSON.stringify(json);
  return new SchemaRegistryError(
    `${method} ${path}: ${status} ${message}`,
    status,
    typeof body.error_code === 'number' ? body.error_code : undefined,
  );
}

/** Sets the subject's compatibility level (the registry creates the config even before the subject exists). */
export async function setCompatibility(options: RegistryOptions, subject: string, level = 'BACKWARD'): Promise<void> {
  const path = `/config/${encodeURIComponent(subject)}`;
  const { status, json } = await call(options, 'PUT', path, { compatibility: level });
  if (status !== 200) throw failure('PUT', path, status, json);
}

/** The id of `schema` under `subject` if it is registered there, else undefined. */
export async function lookupSchema(
  options: RegistryOptions,
  subject: string,
  schema: string,
): Promise<number | undefined> {
  const path = `/subjects/${encodeURIComponent(subject)}`;
  const { status, json } = await call(options, 'POST', path, { schema });
  if (status === 404) return undefined;
  if (status !== 200) throw failure('POST', path, status, json);
  return (json as { id: number }).id;
}

/** Registers `schema` under `subject` (the same text again returns the same id); 409 when it is incompatible. */
export async function registerSchema(options: RegistryOptions, subject: string, schema: string): Promise<number> {
  const path = `/subjects/${encodeURIComponent(subject)}/versions`;
  const { status, json } = await call(options, 'POST', path, { schema });
  if (status !== 200) throw failure('POST', path, status, json);
  return (json as { id: number }).id;
}

export interface RegisteredSubject {
  topic: TopicName;
  subject: string;
  id: number;
  /** registered: a new version; unchanged: this schema was already the subject's. */
  action: 'registered' | 'unchanged';
}

/**
 * Sets BACKWARD compatibility on every topic's `<topic>-value` subject and registers its schema: idempotent, and the
 * registry refuses a schema that old records could not be read with.
 */
export async function registerSchemas(
  options: RegistryOptions & { topics?: readonly TopicName[] },
): Promise<RegisteredSubject[]> {
  const results: RegisteredSubject[] = [];
  for (const topic of options.topics ?? topicNames) {
    const subject = subjectFor(topic);
    const schema = schemaText(topic);
    await setCompatibility(options, subject, 'BACKWARD');
    const known = await lookupSchema(options, subject, schema);
    const id = known ?? (await registerSchema(options, subject, schema));
    results.push({ topic, subject, id, action: known === undefined ? 'registered' : 'unchanged' });
  }
  return results;
}
