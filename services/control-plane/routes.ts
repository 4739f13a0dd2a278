import type { Route } from './api.pure.ts';
import { agentListRoutes } from './agent-list.ts';
import { agentRoutes } from './agents.ts';
import { approvalRoutes } from './approvals.ts';
import { auditRoutes } from './audit.ts';
import { learningRoutes } from './learning.ts';
import { policyRoutes } from './policy.ts';
import { sessionRoutes } from './sessions.ts';
import { tokenRoutes } from './tokens.ts';
import { verdictRoutes } from './verdicts.ts';

/** Every route of the API, in the order the OpenAPI document lists them. */
export const routes: readonly Route[] = [
  ...agentListRoutes,
  ...agentRoutes,
  ...policyRoutes,
  ...learningRoutes,
  ...verdictRoutes,
  ...sessionRoutes,
  ...approvalRoutes,
  ...auditRoutes,
  ...tokenRoutes,
];
