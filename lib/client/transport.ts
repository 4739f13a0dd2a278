import http from 'node:http';
import https from 'node:https';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import {
  type AssignInput,
  type ClientAssignment,
  type FallbackReason,
  fromGrpcAnswer,
  fromJsonAnswer,
} from './assignment.pure.ts';
import {
  type GrpcAssignRequest,
  type GrpcAssignResponse,
  protoOptions,
  ROUTER_SERVICE_PATH,
  routerProtoPath,
} from '../router/proto.ts';

/** The two ways to ask the router (docs/router.md): POST /v1/assign over keep-alive HTTP, or Router/Assign over gRPC. */

/** A failure the client turns into its fail-safe, with the reason it is counted under. */
export class AssignFailure extends Error {
  readonly reason: FallbackReason;
  constructor(reason: FallbackReason, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'AssignFailure';
    this.reason = reason;
  }
}

export interface RouterTransport {
  /** The router's answer, or a rejection with an AssignFailure. */
  assign(input: AssignInput, timeoutMs: number): Promise<ClientAssignment>;
  close(): void;
}

export function httpTransport(routerUrl: string, token: string | undefined): RouterTransport {
  const url = new URL('/v1/assign', routerUrl);
  const secure = url.protocol === 'https:';
  const agent = new (secure ? https : http).Agent({ keepAlive: true, keepAliveMsecs: 10_000 });
  const request = secure ? https.request : http.request;
  const target = {
    agent,
    host: url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: url.pathname,
    method: 'POST',
  };
  const authorization = token === undefined ? undefined : `Bearer ${token}`;

  function attempt(input: AssignInput, payload: string, deadline: number, retry: boolean): Promise<ClientAssignment> {
    return new Promise((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      };
      if (authorization !== undefined) headers.authorization = authorization;
      const req = request({ ...target, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => reject(new AssignFailure('unreachable', err.message, err)));
        res.on('end', () => {
          clearTimeout(timer);
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(new AssignFailure('rejected', `the router answered ${res.statusCode}: ${body.slice(0, 200)}`));
            return;
          }
          resolve(fromJsonAnswer(input, body));
        });
      });
      const timeoutMs = Math.max(1, deadline - Date.now());
      const timer = setTimeout(
        () => req.destroy(new AssignFailure('timeout', `no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // A kept-alive connection the router closed as it was reused: once more on a new one. Safe, as the router's
        // tags for a run have a deterministic eventId that consumers deduplicate on.
        if (retry && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
          resolve(attempt(input, payload, deadline, false));
          return;
        }
        reject(err instanceof AssignFailure ? err : new AssignFailure('unreachable', err.message, err));
      });
      req.end(payload);
    });
  }

  return {
    assign: (input, timeoutMs) =>
      attempt(
        input,
        JSON.stringify({ agentId: input.agentId, runId: input.runId, unitId: input.unitId ?? null }),
        Date.now() + timeoutMs,
        true,
      ),
    close: () => agent.destroy(),
  };
}

type AssignCall = (
  request: GrpcAssignRequest,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, answer?: GrpcAssignResponse) => void,
) => void;

let routerClientConstructor: grpc.ServiceClientConstructor | undefined;

function routerClient(address: string): grpc.Client & { Assign: AssignCall } {
  if (routerClientConstructor === undefined) {
    let here: unknown = grpc.loadPackageDefinition(protoLoader.loadSync(routerProtoPath, protoOptions));
    for (const part of ROUTER_SERVICE_PATH) here = (here as Record<string, unknown>)[part];
    routerClientConstructor = here as grpc.ServiceClientConstructor;
  }
  return new routerClientConstructor(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    Assign: AssignCall;
  };
}

const grpcReasons: Partial<Record<grpc.status, FallbackReason>> = {
  [grpc.status.DEADLINE_EXCEEDED]: 'timeout',
  [grpc.status.UNAVAILABLE]: 'unreachable',
};

export function grpcTransport(address: string, token: string | undefined): RouterTransport {
  const client = routerClient(address);
  // Connect now rather than on the first call, which would otherwise spend its deadline on the handshake.
  client.getChannel().getConnectivityState(true);
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);

  return {
    assign: (input, timeoutMs) =>
      new Promise((resolve, reject) => {
        const request: GrpcAssignRequest = { agentId: input.agentId, runId: input.runId };
        if (input.unitId !== undefined && input.unitId !== null) request.unitId = input.unitId;
        client.Assign(request, metadata, { deadline: Date.now() + timeoutMs }, (err, answer) => {
          if (err) reject(new AssignFailure(grpcReasons[err.code] ?? 'rejected', err.message, err));
          else if (answer === undefined) reject(new AssignFailure('bad_answer', 'an empty answer'));
          else resolve(fromGrpcAnswer(input, answer));
        });
      }),
    close: () => client.close(),
  };
}
