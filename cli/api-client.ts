import { z } from 'zod';

/** Where the CLI finds the control plane, and the token it acts with. */
export const apiClientSchema = z.object({
  LEARNLOOP_API_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
    .default('http://127.0.0.1:7080'),
  LEARNLOOP_API_TOKEN: z.string().min(1).optional(),
});

export class ApiCallError extends Error {
  readonly status: number | null;
  constructor(message: string, status: number | null) {
    super(message);
    this.name = 'ApiCallError';
    this.status = status;
  }
}

export interface ApiClient {
  call<T = unknown>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T>;
}

/** A client of the control plane's API that marks its requests as the CLI's (the audit log and approvals say so). */
export function apiClient(env: NodeJS.ProcessEnv): ApiClient {
  const settings = apiClientSchema.safeParse({
    LEARNLOOP_API_URL: env['LEARNLOOP_API_URL'] || undefined,
    LEARNLOOP_API_TOKEN: env['LEARNLOOP_API_TOKEN'] || undefined,
  });
  if (!settings.success)
    throw new ApiCallError(
      `LEARNLOOP_API_URL=${JSON.stringify(env['LEARNLOOP_API_URL'])}: ${settings.error.issues[0]!.message}`,
      null,
    );
  const { LEARNLOOP_API_URL: base, LEARNLOOP_API_TOKEN: token } = settings.data;
  return {
    async call(method, path, body) {
      if (!token)
        throw new ApiCallError(
          'LEARNLOOP_API_TOKEN is not set: create a token with `learnloop tokens create --role <role> --name <you>`',
          null,
        );
      const url = new URL(path, base.endsWith('/') ? base : `${base}/`);
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            'x-learnloop-client': 'cli',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new ApiCallError(
          `cannot reach the control plane at ${base} (LEARNLOOP_API_URL): ${cause?.code ?? cause?.message ?? String(err)}`,
          null,
        );
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = text === '' ? null : JSON.parse(text);
      } catch {
        throw new ApiCallError(
          `${method} ${url.pathname}: ${response.status}, not JSON: ${text.slice(0, 200)}`,
          response.status,
        );
      }
      if (!response.ok) {
        const error = (json as { error?: unknown } | null)?.error;
        throw new ApiCallError(
          `${response.status}: ${typeof error === 'string' ? error : text.slice(0, 200)}`,
          response.status,
        );
      }
      return json as never;
    },
  };
}
