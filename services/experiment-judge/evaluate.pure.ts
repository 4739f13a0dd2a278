import type { ExperimentArm, ExperimentPolicy } from '../../lib/contracts/types.generated.ts';
import { analyse, type Analysis, type SufficientStatistics } from './analysis.pure.ts';
import {
  decide,
  decideOnApproval,
  type ApprovalInput,
  type Decision,
  type ExperimentView,
  type JudgeMemory,
} from './decision.pure.ts';

/**
 * Everything a decision is computed from, as plain JSON: recorded in the audit entry of every verdict, so that
 * `learnloop audit replay <id>` can recompute the statistics and the decision from it alone.
 */
export interface JudgeInputs {
  experiment: ExperimentView;
  memory: JudgeMemory;
  policy: ExperimentPolicy;
  arms: ExperimentArm[];
  statistics: SufficientStatistics;
  now: number;
  /** Present when the decision answers an approval (learning.approval.decided.v1). */
  approval?: ApprovalInput;
}

export interface Judgement {
  analysis: Analysis;
  decision: Decision;
}

/** Statistics, then decision: the judge's whole logic, with no I/O. */
export function evaluate(inputs: JudgeInputs): Judgement {
  const analysis = analyse(
    { mode: inputs.experiment.mode, arms: inputs.arms, policy: inputs.policy },
    inputs.statistics,
  );
  const decisionInput = {
    experiment: inputs.experiment,
    memory: inputs.memory,
    policy: inputs.policy,
    analysis,
    now: inputs.now,
  };
  const decision = inputs.approval ? decideOnApproval(decisionInput, inputs.approval) : decide(decisionInput);
  return { analysis, decision };
}
