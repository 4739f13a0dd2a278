import { join } from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { packageRoot } from '../../lib/package-root.ts';
import { type GrpcAssignResponse, protoOptions, ROUTER_SERVICE_PATH, routerProtoPath } from '../../lib/router/proto.ts';
import type { Assignment } from './decide.pure.ts';
import type { RouterCore } from './assigner.ts';
import type { RouterMetrics } from './metrics.ts';
import { bearerCheck, parseAssignRequest } from './request.pure.ts';

/**
 * learnloop.router.v1.Router/Assign (schemas/router.proto) and grpc.health.v1.Health/Check, on their own port. No
 * package provides the health service without new dependencies, so it is the standard proto served here.
 */

export const healthProtoPath = join(packageRoot, 'schemas', 'grpc', 'health', 'v1', 'health.proto');
export type { GrpcAssignResponse };

export function toGrpcResponse(a: Assignment): GrpcAssignResponse {
  const out: GrpcAssignResponse = {
    agentId: a.agentId,
    runId: a.runId,
    arm: a.arm === 'candidate' ? 'ARM_CANDIDATE' : a.arm === 'baseline' ? 'ARM_BASELINE' : 'ARM_UNSPECIFIED',
  };
  if (a.versionId !== null) out.versionId = a.versionId;
  if (a.experimentId !== null) out.experimentId = a.experimentId;
  if (a.shadow !== null) out.shadow = a.shadow;
  return out;
}

type ServiceDef = grpc.ServiceDefinition;

/** The two services' definitions, loaded once per process. */
export function loadServices(): {
  router: ServiceDef;
  health: ServiceDef;
  routerPackage: grpc.GrpcObject;
  healthPackage: grpc.GrpcObject;
} {
  const routerPackage = grpc.loadPackageDefinition(protoLoader.loadSync(routerProtoPath, protoOptions));
  const healthPackage = grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, protoOptions));
  const pick = (pkg: grpc.GrpcObject, path: string[]) => {
    let here: unknown = pkg;
    for (const part of path) here = (here as Record<string, unknown>)[part];
    return (here as grpc.ServiceClientConstructor).service;
  };
  return {
    router: pick(routerPackage, [...ROUTER_SERVICE_PATH]),
    health: pick(healthPackage, ['grpc', 'health', 'v1', 'Health']),
    routerPackage,
    healthPackage,
  };
}

export interface GrpcServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  core: RouterCore;
  metrics: RouterMetrics;
  token: string | undefined;
}

export interface RunningGrpcServer {
  port: number;
  close(): Promise<void>;
}

export const ROUTER_SERVICE_NAME = 'learnloop.router.v1.Router';

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const { core, metrics } = options;
  const services = loadServices();
  const authorized = bearerCheck(options.token);
  const errors = metrics.requestErrors.grpc;
  const server = new grpc.Server();

  server.addService(services.router, {
    Assign(call: grpc.ServerUnaryCall<unknown, GrpcAssignResponse>, callback: grpc.sendUnaryData<GrpcAssignResponse>) {
      const auth = call.metadata.get('authorization')[0];
      if (!authorized(typeof auth === 'string' ? auth : undefined)) {
        errors.unauthorized.inc();
        callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong bearer token' });
        return;
      }
      const parsed = parseAssignRequest(call.request);
      if (!parsed.ok) {
        errors.bad_request.inc();
        callback({ code: grpc.status.INVALID_ARGUMENT, details: parsed.problem.message });
        return;
      }
      callback(null, toGrpcResponse(core.assign(parsed.value, 'grpc')));
    },
  });

  server.addService(services.health, {
    Check(
      call: grpc.ServerUnaryCall<{ service?: string }, { status: string }>,
      callback: grpc.sendUnaryData<{ status: string }>,
    ) {
      const service = call.request.service ?? '';
      if (service !== '' && service !== ROUTER_SERVICE_NAME) {
        callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${service}` });
        return;
      }
      // The process answers ("" SERVING); the router SERVING only once it has read its state.
      callback(null, { status: service === '' || core.ready() ? 'SERVING' : 'NOT_SERVING' });
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${options.host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Calls in flight finish; after a second, what is left is cut off.
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
