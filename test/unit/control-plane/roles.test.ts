import { describe, expect, it } from 'vitest';
import { tokenRoles } from '../../../lib/db/schema.ts';
import { allows, permissions, rolesAllowed } from '../../../services/control-plane/roles.pure.ts';

// The rule as the issue and docs/control-plane.md state it, written out: viewer reads; operator changes agents,
// policies and pause; approver decides approvals; admin manages tokens and may do all of it.
const expected: Record<string, readonly string[]> = {
  read: ['viewer', 'operator', 'approver', 'admin'],
  'agents.write': ['operator', 'admin'],
  'policy.write': ['operator', 'admin'],
  'learning.control': ['operator', 'admin'],
  'approvals.decide': ['approver', 'admin'],
  'tokens.manage': ['admin'],
};

describe('roles', () => {
  it.each(permissions.flatMap((p) => tokenRoles.map((r) => [p, r] as const)))('%s by %s', (permission, role) => {
    expect(allows(role, permission)).toBe(expected[permission]!.includes(role));
  });

  it('lists the roles that hold each permission', () => {
    for (const permission of permissions) expect(rolesAllowed(permission)).toEqual(expected[permission]);
  });

  it('keeps the operator and the approver apart', () => {
    expect(permissions.filter((p) => allows('operator', p) && allows('approver', p))).toEqual(['read']);
  });
});
