import type { TokenRole } from '../../lib/db/schema.ts';

/**
 * What each role may do. Every token may read; writes are split so that the person who changes how an agent learns
 * (operator) and the person who lets a risky change go live (approver) can be different people. An admin manages
 * tokens and may do everything else too: whoever can mint an operator token could act as one anyway.
 */
export const permissions = [
  'read',
  'agents.write',
  'policy.write',
  'learning.control',
  'approvals.decide',
  'tokens.manage',
] as const;
export type Permission = (typeof permissions)[number];

const grants: Readonly<Record<TokenRole, ReadonlySet<Permission>>> = {
  viewer: new Set(['read']),
  operator: new Set(['read', 'agents.write', 'policy.write', 'learning.control']),
  approver: new Set(['read', 'approvals.decide']),
  admin: new Set(permissions),
};

export function allows(role: TokenRole, permission: Permission): boolean {
  return grants[role].has(permission);
}

/** The roles that hold a permission, for error messages and the OpenAPI document. */
export function rolesAllowed(permission: Permission): TokenRole[] {
  return (Object.keys(grants) as TokenRole[]).filter((role) => grants[role].has(permission));
}
