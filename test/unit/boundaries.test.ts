import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boundaryViolations } from '../helpers/boundaries.ts';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/boundaries', import.meta.url));

describe('module boundaries (docs/development.md)', () => {
  it('hold in the code: lib/ imports no service, a service only lib/ and itself, a pure file no I/O', () => {
    expect(boundaryViolations(repository)).toEqual([]);
  });

  it('catch each kind of violation, and let type-only imports and pure code through', () => {
    expect(boundaryViolations(fixture)).toEqual([
      'lib/shared.ts imports services/alpha/helper.ts: lib/ imports nothing from services/ or cli/',
      'services/alpha/reaches-beta.ts imports services/beta/beta.ts: a service imports lib/ and its own folder only (services/alpha/)',
      'services/beta/rule.pure.ts imports kysely: a .pure.ts file reaches no module that does I/O',
      'services/beta/shell-user.pure.ts imports services/beta/beta.ts: a .pure.ts file imports only .pure.ts files of its service',
      'services/beta/through-lib.pure.ts imports kysely: a .pure.ts file reaches no module that does I/O',
    ]);
  });

  it('accept an allowed import, and report an allowance that is no longer needed', () => {
    const violations = boundaryViolations(fixture, [
      { from: 'services/alpha/reaches-beta.ts', to: 'services/beta/beta.ts' },
      { from: 'services/alpha/helper.ts', to: 'services/beta/beta.ts' },
    ]);
    expect(violations).not.toContain(
      'services/alpha/reaches-beta.ts imports services/beta/beta.ts: a service imports lib/ and its own folder only (services/alpha/)',
    );
    expect(violations).toContain(
      'services/alpha/helper.ts no longer imports services/beta/beta.ts: remove it from the allowed imports',
    );
  });
});
