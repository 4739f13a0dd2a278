import { join } from 'node:path';
import type protoLoader from '@grpc/proto-loader';
import { packageRoot } from '../package-root.ts';

/** The router's gRPC contract (schemas/router.proto) as the router-sidecar serves it and learnloop/client calls it. */

export const routerProtoPath = join(packageRoot, 'schemas', 'router.proto');

/** camelCase fields, enums as their names, unset fields left out: the shapes below. */
export const protoOptions: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
};

export const ROUTER_SERVICE_PATH = ['learnloop', 'router', 'v1', 'Router'] as const;

export interface GrpcAssignRequest {
  agentId: string;
  runId: string;
  unitId?: string;
}

export interface GrpcAssignResponse {
  agentId: string;
  runId: string;
  versionId?: string;
  experimentId?: string;
  arm: 'ARM_UNSPECIFIED' | 'ARM_BASELINE' | 'ARM_CANDIDATE';
  shadow?: { versionId: string; experimentId: string };
}
