import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { avroType, schemaText } from '../../../lib/contracts/schemas.ts';
import { createSerde, DecodeError, RegistryUnavailableError } from '../../../lib/kafka/serde.ts';
import { runCompleted } from '../../fixtures/events.ts';

/** The serde against fake registries: how decode tells "this record is bad" from "the registry is down", and how encode finds its schema id. */

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function fakeRegistry(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closedPort(): Promise<string> {
  const url = await fakeRegistry(() => {});
  const server = servers.pop() as Server;
  await new Promise((resolve) => server.close(resolve));
  return url;
}

const framed = (id: number, body: Buffer) => {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, body]);
};

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
  res.end(JSON.stringify(body));
};

async function decodeError(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected decode to fail');
    },
    (err: unknown) => err,
  );
}

describe('serde decode errors', () => {
  it('rejects a bad magic byte and a short buffer without asking the registry', async () => {
    const serde = createSerde({ registryUrl: await closedPort() });
    const magic = await decodeError(serde.decode(Buffer.from([1, 0, 0, 0, 1, 2])));
    expect(magic).toBeInstanceOf(DecodeError);
    expect((magic as DecodeError).reason).toMatch(/magic byte 1/);
    const short = await decodeError(serde.decode(Buffer.from([0, 0])));
    expect((short as DecodeError).reason).toMatch(/shorter than the 5-byte/);
  });

  it('an unknown schema id (404) is a DecodeError', async () => {
    const url = await fakeRegistry((_req, res) => json(res, 404, { error_code: 40403, message: 'Schema not found' }));
    const err = await decodeError(createSerde({ registryUrl: url }).decode(framed(4242, Buffer.from([2, 3]))));
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).reason).toBe('unknown schema id 4242');
    expect((err as DecodeError).schemaId).toBe(4242);
  });

  it('bytes that do not parse with their schema are a DecodeError', async () => {
    const url = await fakeRegistry((_req, res) => json(res, 200, { schema: schemaText('agent.run.completed.v1') }));
    const serde = createSerde({ registryUrl: url });
    const err = await decodeError(serde.decode(framed(7, Buffer.from([0xff, 0xff, 0xff]))));
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).reason).toMatch(/do not parse with schema id 7/);
    // ...while the same registry decodes good bytes, Dates included.
    const event = runCompleted();
    const decoded = await serde.decode(framed(7, avroType('agent.run.completed.v1').toBuffer(event)));
    expect(decoded).toEqual({ schemaId: 7, value: event });
  });

  it('a refused connection is RegistryUnavailableError', async () => {
    const err = await decodeError(createSerde({ registryUrl: await closedPort() }).decode(framed(1, Buffer.from([2]))));
    expect(err).toBeInstanceOf(RegistryUnavailableError);
  });

  it('a 5xx is RegistryUnavailableError (after the library has retried)', async () => {
    let calls = 0;
    const url = await fakeRegistry((_req, res) => {
      calls += 1;
      json(res, 503, { error_code: 50301, message: 'down' });
    });
    const err = await decodeError(createSerde({ registryUrl: url }).decode(framed(1, Buffer.from([2]))));
    expect(err).toBeInstanceOf(RegistryUnavailableError);
    expect(calls).toBeGreaterThan(1);
  });

  it('a registry that does not answer in time is RegistryUnavailableError', async () => {
    const url = await fakeRegistry(() => {
      // Never answers.
    });
    const err = await decodeError(
      createSerde({ registryUrl: url, timeoutMs: 200 }).decode(framed(1, Buffer.from([2]))),
    );
    expect(err).toBeInstanceOf(RegistryUnavailableError);
  });
});

describe('serde encode', () => {
  it('registers the schema when the subject does not have it, then reuses the id without asking again', async () => {
    const requests: string[] = [];
    const url = await fakeRegistry((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.method === 'POST' && req.url === '/subjects/agent.run.completed.v1-value')
        return json(res, 404, { error_code: 40401, message: 'no subject' });
      if (req.method === 'GET' && req.url === '/config/agent.run.completed.v1-value')
        return json(res, 404, { error_code: 40401, message: 'no subject' });
      if (req.method === 'POST' && req.url === '/subjects/agent.run.completed.v1-value/versions')
        return json(res, 200, { id: 31 });
      if (req.method === 'PUT' && req.url === '/config/agent.run.completed.v1-value')
        return json(res, 200, { compatibility: 'BACKWARD' });
      return json(res, 500, { message: `unexpected ${req.method} ${req.url}` });
    });
    const serde = createSerde({ registryUrl: url });
    const event = runCompleted();
    const bytes = await serde.encode('agent.run.completed.v1', event);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(31);
    expect(avroType('agent.run.completed.v1').fromBuffer(bytes.subarray(5))).toEqual(event);
    const asked = requests.length;
    await serde.encode('agent.run.completed.v1', runCompleted());
    expect(requests.length).toBe(asked);
    expect(requests).toContain('PUT /config/agent.run.completed.v1-value');
  });

  it('refuses an invalid event before asking the registry', async () => {
    const serde = createSerde({ registryUrl: await closedPort() });
    await expect(serde.encode('agent.run.completed.v1', runCompleted({ completedAt: new Date(0) }))).rejects.toThrow(
      /completedAt: must not be before startedAt/,
    );
    const state = { eventId: 'e', agentId: 'a' } as never;
    await expect(serde.encode('learning.experiment.state.v1', state)).rejects.toThrow(/experimentId: missing/);
  });
});
