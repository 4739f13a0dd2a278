import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { agentConfigSchema, type AgentConfig } from '../../lib/agents/config.ts';
import type { ProposalCreated, SessionTriggered } from '../../lib/contracts/types.generated.ts';
import { appendAudit } from '../../lib/db/repositories/audit.ts';
import { getAgent, getAgentVersion, lockAgent, registerAgentVersion } from '../../lib/db/repositories/agents.ts';
import { getActiveExperiment, insertExperiment } from '../../lib/db/repositories/experiments.ts';
import { insertProposal } from '../../lib/db/repositories/proposals.ts';
import { closeSession, getSession, setSessionStatus } from '../../lib/db/repositories/sessions.ts';
import type { Database } from '../../lib/db/schema.ts';
import type { BatchHandler, EmittedEvent } from '../../lib/kafka/batch.ts';
import type { Logger } from '../../lib/logging.ts';
import { candidateShare } from '../../lib/experiments/buckets.pure.ts';
import { effectivePolicy } from '../../lib/policy/effective.ts';
import { experimentPolicy, rampSchedule } from '../../lib/policy/experiment.ts';
import { openingSplit, openingState } from './experiment.pure.ts';
import { generatorFor } from './generators/index.ts';
import type { ProposerMetrics } from './metrics.ts';
import { describeChanges, signalReport } from './report.pure.ts';
import { assessRisk, changedParts } from './risk.pure.ts';

type Trx = Transaction<Database>;

interface Deps {
  metrics: ProposerMetrics;
  logger: Logger;
  env: Record<string, string | undefined>;
  now?: () => Date;
}

/** Why a session ended without an experiment: the status it closes with, a bounded metric outcome, and words. */
type Ending = { status: 'closed' | 'failed'; outcome: string; reason: string };

async function end(trx: Trx, trigger: SessionTriggered, ending: Ending, deps: Deps): Promise<EmittedEvent[]> {
  await closeSession(trx, trigger.sessionId, { status: ending.status, reason: ending.reason });
  await appendAudit(trx, {
    actor: 'proposer',
    action: `session.${ending.status}`,
    agent_id: trigger.agentId,
    subject_type: 'session',
    subject_id: trigger.sessionId,
    payload: { reason: ending.reason },
  });
  deps.metrics.sessions.inc({ outcome: ending.outcome });
  deps.logger.info('session ended without an experiment', {
    sessionId: trigger.sessionId,
    agentId: trigger.agentId,
    ...ending,
  });
  return [];
}

async function baselineOf(
  trx: Trx,
  agentId: string,
): Promise<{ ok: true; id: string; config: AgentConfig } | { ok: false; reason: string }> {
  const live = (await getAgent(trx, agentId))?.live_version_id;
  if (!live) return { ok: false, reason: 'the agent has no live version registered (learnloop agents register)' };
  const row = await getAgentVersion(trx, live);
  const parsed = agentConfigSchema.safeParse(row?.config);
  if (!parsed.success) return { ok: false, reason: `the live version ${live} is not a valid agent configuration` };
  return { ok: true, id: live, config: parsed.data };
}

async function handleSession(trx: Trx, trigger: SessionTriggered, deps: Deps): Promise<EmittedEvent[]> {
  const now = (deps.now ?? (() => new Date()))();
  const session = await getSession(trx, trigger.sessionId);
  if (!session) {
    deps.logger.warn('no such session; ignored', { sessionId: trigger.sessionId });
    deps.metrics.sessions.inc({ outcome: 'unknown_session' });
    return [];
  }
  if (session.status !== 'open') return [];
  const effective = await effectivePolicy(trx, trigger.agentId);
  if (!effective.ok)
    return end(
      trx,
      trigger,
      { status: 'failed', outcome: 'invalid_policy', reason: `invalid policy: ${effective.errors.join('; ')}` },
      deps,
    );
  const { policy, version: policyVersion } = effective;
  if (policy.paused)
    return end(trx, trigger, { status: 'closed', outcome: 'paused', reason: 'the agent is paused' }, deps);
  if (await getActiveExperiment(trx, trigger.agentId)) {
    return end(
      trx,
      trigger,
      { status: 'closed', outcome: 'experiment_running', reason: 'an experiment is already running for the agent' },
      deps,
    );
  }
  const baseline = await baselineOf(trx, trigger.agentId);
  if (!baseline.ok)
    return end(trx, trigger, { status: 'failed', outcome: 'no_baseline', reason: baseline.reason }, deps);
  await setSessionStatus(trx, trigger.sessionId, 'proposing');

  const generator = generatorFor(policy, deps.env);
  const timer = deps.metrics.generatorSeconds.startTimer({ generator: policy.generator.kind });
  const generated = await generator.generate(signalReport(trigger), baseline.config);
  timer();
  const candidates: Array<{ summary: string; config: AgentConfig; changed: string[]; cost: number | null }> = [];
  const invalid: string[] = [];
  for (const candidate of generated.ok ? generated.candidates : []) {
    const config = agentConfigSchema.safeParse({ ...baseline.config, ...candidate.change });
    if (!config.success)
      invalid.push(
        `"${candidate.summary}": ${config.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    else if (changedParts(baseline.config, config.data).length === 0)
      invalid.push(`"${candidate.summary}": changes nothing`);
    else
      candidates.push({
        summary: candidate.summary,
        config: config.data,
        changed: changedParts(baseline.config, config.data),
        cost: candidate.projectedCostDeltaUsd,
      });
  }
  if (candidates.length === 0) {
    deps.metrics.generatorFailures.inc({ generator: policy.generator.kind });
    const reason = generated.ok ? `invalid change: ${invalid.join(' | ')}` : generated.reason;
    return end(
      trx,
      trigger,
      { status: 'failed', outcome: 'generator_failed', reason: `${generator.name}: ${reason}` },
      deps,
    );
  }
  // The generator may have taken seconds, and an operator may have paused the agent or changed its live version since
  // the checks above. The agent's row lock (the control plane takes it for both) orders this transaction with theirs:
  // whichever commits first, the other sees it.
  const agent = await lockAgent(trx, trigger.agentId);
  const latest = await effectivePolicy(trx, trigger.agentId);
  if (latest.ok && latest.policy.paused)
    return end(
      trx,
      trigger,
      { status: 'closed', outcome: 'paused', reason: 'the agent was paused while the proposal was generated' },
      deps,
    );
  if (agent?.live_version_id !== baseline.id) {
    return end(
      trx,
      trigger,
      {
        status: 'closed',
        outcome: 'baseline_changed',
        reason: 'the live version changed while the proposal was generated',
      },
      deps,
    );
  }

  const events: EmittedEvent[] = [];
  let tested: { proposalId: string; event: ProposalCreated } | undefined;
  for (const candidate of candidates) {
    const { version } = await registerAgentVersion(trx, { agent_id: trigger.agentId, config: candidate.config });
    const risk = assessRisk(baseline.config, candidate.config, candidate.cost, policy);
    const proposal = await insertProposal(trx, {
      session_id: trigger.sessionId,
      agent_id: trigger.agentId,
      baseline_version_id: baseline.id,
      candidate_version_id: version.id,
      change: { summary: candidate.summary, parts: candidate.changed },
      risk_tier: risk.tier,
      auto_eligible: risk.autoEligible,
      risk_reasons: risk.reasons,
      generator: generator.name,
      created_at: now,
    });
    deps.metrics.proposals.inc({ tier: risk.tier, auto_eligible: String(risk.autoEligible) });
    await appendAudit(trx, {
      actor: 'proposer',
      action: 'proposal.created',
      agent_id: trigger.agentId,
      subject_type: 'proposal',
      subject_id: proposal.id,
      payload: { risk, policyVersion, generator: generator.name },
    });
    const event: ProposalCreated = {
      eventId: `proposal-created-${proposal.id}`,
      proposalId: proposal.id,
      sessionId: trigger.sessionId,
      agentId: trigger.agentId,
      createdAt: now,
      baselineVersionId: baseline.id,
      candidateVersionId: version.id,
      generator: generator.name,
      summary: candidate.summary,
      changes: describeChanges(baseline.config, candidate.config, candidate.changed),
      riskTier: risk.tier,
      autoEligible: risk.autoEligible,
      riskReasons: risk.reasons,
      projectedCostDeltaUsd: candidate.cost,
      experimentId: null,
    };
    tested ??= { proposalId: proposal.id, event };
    events.push({ topic: 'learning.proposal.created.v1', key: trigger.agentId, value: event });
  }

  // One experiment per agent (single flight): the first, best-ranked candidate is tested; the others stay on record.
  const first = tested!.event;
  const mode = policy.experiment.modeByTier[first.riskTier];
  const split = openingSplit(mode, policy);
  // The experiment keeps its own copy of the rules it is judged by: a later policy change does not move its goalposts.
  const judgedBy = experimentPolicy(policy, policyVersion, first.riskTier);
  const inserted = await insertExperiment(trx, {
    agent_id: trigger.agentId,
    proposal_id: tested!.proposalId,
    mode,
    traffic_split: split,
    salt: randomUUID(),
    candidate_share: candidateShare(mode, split),
    started_at: now,
    policy: judgedBy,
    ramp_schedule: rampSchedule(policy),
  });
  if (!inserted.ok) {
    return end(
      trx,
      trigger,
      { status: 'closed', outcome: 'experiment_running', reason: 'an experiment started for the agent meanwhile' },
      deps,
    );
  }
  first.experimentId = inserted.experiment.id;
  await setSessionStatus(trx, trigger.sessionId, 'experimenting');
  const state = openingState({
    experiment: inserted.experiment,
    split,
    baselineVersionId: baseline.id,
    candidateVersionId: first.candidateVersionId,
    sessionId: trigger.sessionId,
    riskTier: first.riskTier,
    autoEligible: first.autoEligible,
    policy,
    judgedBy,
  });
  await appendAudit(trx, {
    actor: 'proposer',
    action: 'experiment.started',
    agent_id: trigger.agentId,
    subject_type: 'experiment',
    subject_id: state.experimentId,
    payload: { mode, split, policyVersion },
  });
  deps.metrics.sessions.inc({ outcome: 'experimenting' });
  events.push({ topic: 'learning.experiment.state.v1', key: trigger.agentId, value: state });
  return events;
}

/** For each triggered session: proposals from the agent's generator, risk-scored, and an experiment for the first. */
export function proposerHandler(deps: Deps): BatchHandler {
  return async (trx, events) => {
    const out: EmittedEvent[] = [];
    for (const event of events) out.push(...(await handleSession(trx, event.value as SessionTriggered, deps)));
    return out;
  };
}
