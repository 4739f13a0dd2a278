import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedTypesPath, generateTypes } from '../../../lib/contracts/codegen.ts';

describe('generated types', () => {
  it('lib/contracts/types.generated.ts is what the schemas generate now (run `node lib/contracts/codegen.ts`)', () => {
    expect(readFileSync(generatedTypesPath, 'utf8')).toBe(generateTypes());
  });

  it('maps Avro to TypeScript as documented', () => {
    const code = generateTypes();
    expect(code).toContain('completedAt: Date;');
    expect(code).toContain('latencyMs: number;');
    expect(code).toContain('experimentId: string | null;');
    expect(code).toContain('arm: Arm | null;');
    expect(code).toContain('guardrailHits: GuardrailHit[];');
    expect(code).toContain('value: Buffer;');
    expect(code).toContain('export type Arm = (typeof armSymbols)[number];');
    expect(code).toContain("'agent.run.completed.v1': RunCompleted;");
    // A named type reused by several schemas is generated once.
    expect(code.match(/export interface ExperimentPolicy /g)).toHaveLength(1);
    expect(code.match(/export const armSymbols /g)).toHaveLength(1);
  });
});
