import { randomUUID } from 'node:crypto';
import type {
  ApprovalDecided,
  ApprovalRequested,
  ExperimentState,
  ExperimentVerdict,
  ProposalCreated,
  SessionTriggered,
  VersionPromoted,
} from '../lib/contracts/types.generated.ts';
import { createKafka } from '../lib/kafka/client.ts';
import { createSerde } from '../lib/kafka/serde.ts';
import { createLogger } from '../lib/logging.ts';

/** What the demo has seen happen to one agent, from the learning topics. */
export interface AgentStory {
  sessionId: string | null;
  proposalId: string | null;
  experimentId: string | null;
  approvalId: string | null;
  approvalDecided: ApprovalDecided['decision'] | null;
  promoted: VersionPromoted | null;
  verdicts: Record<string, number>;
}

/** An agent's story before the loop has done anything to it. */
export function emptyStory(): AgentStory {
  return {
    sessionId: null,
    proposalId: null,
    experimentId: null,
    approvalId: null,
    approvalDecided: null,
    promoted: null,
    verdicts: {},
  };
}

const watched = [
  'learning.session.triggered.v1',
  'learning.proposal.created.v1',
  'learning.experiment.state.v1',
  'learning.experiment.verdict.v1',
  'learning.approval.requested.v1',
  'learning.approval.decided.v1',
  'learning.version.promoted.v1',
] as const;

const pct = (bp: number) => `${bp / 100}%`;
const fixed = (x: number) => x.toFixed(3);

export interface NarratorOptions {
  brokers: readonly string[];
  registryUrl: string;
  physicalName: (name: string) => string;
  agentIds: readonly string[];
  pageUrl: string;
  say: (agentId: string, line: string) => void;
}

/**
 * Reads the learning topics and tells what the loop does to the demo's agents, as it happens. Reads from the start of
 * each topic and keeps only the demo's agents (their ids are new), so that nothing published before it joined is lost.
 */
export async function startNarrator(options: NarratorOptions) {
  const stories = new Map<string, AgentStory>(options.agentIds.map((id) => [id, emptyStory()]));
  const lastState = new Map<string, string>();
  const lastContinue = new Map<string, number>();
  const kafka = createKafka({
    brokers: options.brokers,
    clientId: 'learnloop-demo',
    logger: createLogger({ level: 'error' }),
  });
  const serde = createSerde({ registryUrl: options.registryUrl });
  const consumer = kafka.consumer({ groupId: options.physicalName(`learnloop-demo-${randomUUID()}`) });
  await consumer.connect();
  const topicOf = new Map(watched.map((t) => [options.physicalName(t), t]));
  await consumer.subscribe({ topics: [...topicOf.keys()], fromBeginning: true });
  const say = options.say;

  const handlers: Record<(typeof watched)[number], (value: never, story: AgentStory) => void> = {
    'learning.session.triggered.v1': (e: SessionTriggered, story) => {
      story.sessionId = e.sessionId;
      const crossed = e.thresholdsCrossed
        .map((c) => `${c.metric} ${fixed(c.observed)} is ${c.direction} its threshold ${c.threshold}`)
        .join(', ');
      say(e.agentId, `degraded over ${e.window.runCount} runs: ${crossed || `(${e.trigger} trigger)`}`);
      const top = e.topFailureCategories[0];
      say(
        e.agentId,
        `learning session ${e.sessionId} opened (${e.trigger})${top ? `; top failure category ${top.category} (${top.count})` : ''}`,
      );
    },
    'learning.proposal.created.v1': (e: ProposalCreated, story) => {
      story.proposalId = e.proposalId;
      const reasons = e.riskReasons.map((r) => r.detail ?? r.code).join('; ');
      say(e.agentId, `proposal ${e.proposalId}: "${e.summary}" by ${e.generator}`);
      say(
        e.agentId,
        `  risk ${e.riskTier}${reasons ? ` (${reasons})` : ''}; ${e.autoEligible ? 'may be promoted automatically' : 'a person must approve it'}`,
      );
    },
    'learning.experiment.state.v1': (e: ExperimentState, story) => {
      story.experimentId = e.experimentId;
      const split =
        e.mode === 'ab'
          ? `candidate ${pct(e.trafficSplit.candidateBasisPoints)}, measured baseline ${pct(e.trafficSplit.baselineBasisPoints)}`
          : `shadow sample ${pct(e.trafficSplit.shadowSampleBasisPoints)}`;
      const key = `${e.status} ${split}`;
      if (lastState.get(e.experimentId) === key) return;
      lastState.set(e.experimentId, key);
      say(e.agentId, `experiment ${e.experimentId} (${e.mode}): ${e.status}, ${split}`);
    },
    'learning.experiment.verdict.v1': (e: ExperimentVerdict, story) => {
      story.verdicts[e.decision] = (story.verdicts[e.decision] ?? 0) + 1;
      const p = e.statistics.primary;
      const interval = p ? `${p.metric} difference ${fixed(p.estimate)} in [${fixed(p.lower)}, ${fixed(p.upper)}]` : '';
      const n = e.statistics.arms.map((a) => `${a.arm} ${a.failure.n}`).join(', ');
      if (e.decision === 'continue') {
        // The confidence sequence narrowing, every few seconds rather than at every event.
        if (Date.now() - (lastContinue.get(e.experimentId) ?? 0) < 5000 || !p) return;
        lastContinue.set(e.experimentId, Date.now());
        say(e.agentId, `  ${interval} (${n} runs): ${p.outcome}`);
        return;
      }
      const reasons = e.reasons.map((r) => r.code).join(', ');
      say(e.agentId, `verdict: ${e.decision}${reasons ? ` (${reasons})` : ''}; ${interval} (${n} runs)`);
    },
    'learning.approval.requested.v1': (e: ApprovalRequested, story) => {
      story.approvalId = e.approvalId;
      say(e.agentId, `approval requested (${e.riskTier} risk): "${e.summary}"`);
      say(e.agentId, `  approve it:  learnloop approve ${e.approvalId} --reason "looks good"`);
      say(e.agentId, `  or on the page: ${options.pageUrl}/approvals/${e.approvalId}`);
    },
    'learning.approval.decided.v1': (e: ApprovalDecided, story) => {
      story.approvalDecided = e.decision;
      say(e.agentId, `approval ${e.approvalId}: ${e.decision}${e.approver ? ` by ${e.approver}` : ''} (${e.source})`);
    },
    'learning.version.promoted.v1': (e: VersionPromoted, story) => {
      if (e.experimentId === null) return;
      story.promoted = e;
      say(
        e.agentId,
        `PROMOTED ${e.promotedVersionId.slice(0, 12)} (${e.mode}${e.approver ? `, approved by ${e.approver}` : ''}): it is the live version now`,
      );
    },
  };

  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (message.value === null) return;
      const name = topicOf.get(topic)!;
      const value = (await serde.decode(message.value)).value as { agentId: string };
      const story = stories.get(value.agentId);
      if (story) handlers[name](value as never, story);
    },
  });
  return { stories, stop: () => consumer.disconnect() };
}
