import type { LearningPolicy } from '../../../lib/policy/policy.ts';
import { httpGenerator } from './http.ts';
import { openAiGenerator } from './openai.ts';
import { playbookGenerator } from './playbook.pure.ts';
import type { Generator } from './types.pure.ts';

/** The generator the agent's policy chooses. */
export function generatorFor(policy: LearningPolicy, env: Record<string, string | undefined>): Generator {
  switch (policy.generator.kind) {
    case 'playbook':
      return playbookGenerator(policy.generator);
    case 'http':
      return httpGenerator(policy.generator);
    case 'openai':
      return openAiGenerator(policy.generator, env);
  }
}
