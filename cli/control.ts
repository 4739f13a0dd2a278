import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type {
  ApprovalView,
  ExperimentView,
  PauseView,
  PolicyView,
  SessionView,
  StatusView,
} from '../lib/api/schemas.ts';
import { ApiCallError, apiClient, type ApiClient } from './api-client.ts';

export const controlHelp = `learnloop <verb>: act through the control plane's API (LEARNLOOP_API_URL, default http://127.0.0.1:7080,
with LEARNLOOP_API_TOKEN; make one with \`learnloop tokens create\`)

  policy get <agentId> [--version N]                 the agent's policy: effective values, overrides, version
  policy set <agentId> <file.json> [--expected-version N] [--reason R]
                                                     replace the agent's overrides with the file's (a JSON object of
                                                     the fields to override, e.g. {"trigger": {"minRuns": 100}})
  pause <agentId> --reason R                         stop new sessions; a running experiment serves the baseline only
  resume <agentId> [--reason R]                      undo pause (and resume an experiment the judge paused)
  sessions start <agentId> --reason R                start a learning session by hand (you may not approve its change)
  status <agentId>                                   continuous mode, next scheduled run, thresholds, session, experiment
  experiments <agentId> [--active] [--limit N]       active and recent experiments with split, counts and decision
  approvals list [--status pending|decided|all] [--agent ID] [--limit N]
  approve <approvalId> [--reason R]                  approve a pending request (the judge re-checks the guardrails)
  reject <approvalId> [--reason R]                   reject it; the experiment closes and traffic returns to baseline

Every verb takes --json to print the API's answer as it is.
Exit codes: 0 done, 1 refused or failed (the API's message is printed), 2 usage.`;

type Values = {
  json?: boolean;
  reason?: string;
  version?: string;
  'expected-version'?: string;
  active?: boolean;
  limit?: string;
  status?: string;
  agent?: string;
};

const options = {
  json: { type: 'boolean' },
  reason: { type: 'string' },
  version: { type: 'string' },
  'expected-version': { type: 'string' },
  active: { type: 'boolean' },
  limit: { type: 'string' },
  status: { type: 'string' },
  agent: { type: 'string' },
} as const;

class UsageError extends Error {}

const enc = encodeURIComponent;
const out = (line: string) => process.stdout.write(`${line}\n`);
const pct = (bp: number) => `${(bp / 100).toFixed(bp % 100 === 0 ? 0 : 2)}%`;

function query(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) params.set(key, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function positionals(given: readonly string[], names: readonly string[]): string[] {
  if (given.length !== names.length)
    throw new UsageError(
      `expected ${names.map((n) => `<${n}>`).join(' ') || 'no arguments'}, got ${given.length === 0 ? 'none' : given.join(' ')}`,
    );
  return [...given];
}

function printExperiment(e: ExperimentView): void {
  const split =
    e.mode === 'ab'
      ? `candidate ${pct(e.trafficSplit.candidateBasisPoints)} / measured baseline ${pct(e.trafficSplit.baselineBasisPoints)}`
      : `shadow sample ${pct(e.trafficSplit.shadowSampleBasisPoints)}`;
  out(
    `${e.id}  ${e.status}  ${e.mode}  ${e.proposal.riskTier} risk  v${e.version}  started ${e.startedAt}${e.endedAt ? `  ended ${e.endedAt}` : ''}`,
  );
  out(
    `  split: ${split}; runs: baseline ${e.armCounts.baseline}, candidate ${e.armCounts.candidate}, shadow ${e.armCounts.shadow}`,
  );
  if (e.proposal.summary) out(`  change: ${e.proposal.summary}`);
  if (e.decision)
    out(
      `  decision: ${e.decision.action}${e.decision.reasons.length > 0 ? ` (${e.decision.reasons.map((r) => r.code).join(', ')})` : ''}`,
    );
  const primary = (
    e.statistics as {
      primary?: { metric: string; estimate: number; lower: number; upper: number; outcome: string } | null;
    } | null
  )?.primary;
  if (primary)
    out(
      `  ${primary.metric}: ${primary.estimate.toFixed(4)} [${primary.lower.toFixed(4)}, ${primary.upper.toFixed(4)}] ${primary.outcome}`,
    );
  if (e.latestApproval)
    out(
      `  approval ${e.latestApproval.id}: ${e.latestApproval.status}${e.latestApproval.approver ? ` by ${e.latestApproval.approver}` : ''}`,
    );
}

function printApproval(a: ApprovalView): void {
  const state =
    a.status === 'pending'
      ? a.expired
        ? 'pending (expired)'
        : `pending until ${a.expiresAt ?? 'never'}`
      : `${a.status} by ${a.approver ?? 'unknown'}${a.reason ? `: ${a.reason}` : ''}`;
  out(`${a.id}  ${a.agentId}  ${a.riskTier} risk  ${state}`);
  out(
    `  ${a.summary ?? `${a.baselineVersionId} -> ${a.candidateVersionId}`}  (experiment ${a.experimentId}, session ${a.sessionTrigger}${a.sessionStartedBy ? ` by ${a.sessionStartedBy}` : ''})`,
  );
}

function printPause(p: PauseView, verb: string): void {
  const experiment = p.experiment
    ? `; experiment ${p.experiment.id} is ${p.experiment.status} (v${p.experiment.version})`
    : '';
  out(
    `${p.agentId}: ${p.changed ? verb : `already ${p.paused ? 'paused' : 'running'}, nothing changed`} (policy v${p.policyVersion})${experiment}`,
  );
}

async function dispatch(client: ApiClient, verb: string, args: readonly string[], values: Values): Promise<unknown> {
  const reason = values.reason;
  switch (verb) {
    case 'policy': {
      const [sub, ...rest] = args;
      if (sub === 'get') {
        const [agentId] = positionals(rest, ['agentId']);
        return client.call<PolicyView>(
          'GET',
          `api/agents/${enc(agentId!)}/learning/policy${query({ version: values.version })}`,
        );
      }
      if (sub === 'set') {
        const [agentId, file] = positionals(rest, ['agentId', 'file.json']);
        let policy: unknown;
        try {
          policy = JSON.parse(await readFile(file!, 'utf8'));
        } catch (err) {
          throw new ApiCallError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`, null);
        }
        const expected = values['expected-version'];
        if (expected !== undefined && !/^\d+$/.test(expected))
          throw new UsageError(`--expected-version must be a whole number, not ${JSON.stringify(expected)}`);
        return client.call<PolicyView>('POST', `api/agents/${enc(agentId!)}/learning/policy`, {
          policy,
          ...(expected === undefined ? {} : { expectedVersion: Number(expected) }),
          ...(reason === undefined ? {} : { reason }),
        });
      }
      throw new UsageError('policy get <agentId> | policy set <agentId> <file.json>');
    }
    case 'pause': {
      const [agentId] = positionals(args, ['agentId']);
      if (!reason)
        throw new UsageError('pause needs --reason: it is recorded in the audit log and shown on the status');
      return client.call<PauseView>('POST', `api/agents/${enc(agentId!)}/learning/pause`, { reason });
    }
    case 'resume': {
      const [agentId] = positionals(args, ['agentId']);
      return client.call<PauseView>(
        'POST',
        `api/agents/${enc(agentId!)}/learning/resume`,
        reason === undefined ? {} : { reason },
      );
    }
    case 'sessions': {
      const [sub, ...rest] = args;
      if (sub !== 'start') throw new UsageError('sessions start <agentId> --reason R');
      const [agentId] = positionals(rest, ['agentId']);
      if (!reason) throw new UsageError('sessions start needs --reason: it is recorded with the session');
      return client.call<SessionView>('POST', `api/agents/${enc(agentId!)}/learning/sessions`, { reason });
    }
    case 'status': {
      const [agentId] = positionals(args, ['agentId']);
      return client.call<StatusView>('GET', `api/agents/${enc(agentId!)}/learning/status`);
    }
    case 'experiments': {
      const [agentId] = positionals(args, ['agentId']);
      return client.call<ExperimentView[]>(
        'GET',
        `api/agents/${enc(agentId!)}/learning/experiments${query({ status: values.active ? 'active' : undefined, limit: values.limit })}`,
      );
    }
    case 'approvals': {
      const [sub, ...rest] = args;
      if (sub !== 'list') throw new UsageError('approvals list [--status pending|decided|all] [--agent ID]');
      positionals(rest, []);
      return client.call<ApprovalView[]>(
        'GET',
        `api/approvals${query({ status: values.status, agentId: values.agent, limit: values.limit })}`,
      );
    }
    case 'approve':
    case 'reject': {
      const [approvalId] = positionals(args, ['approvalId']);
      return client.call('POST', `api/approvals/${enc(approvalId!)}/decision`, {
        decision: verb === 'approve' ? 'approved' : 'rejected',
        ...(reason === undefined ? {} : { reason }),
      });
    }
    default:
      throw new UsageError(`unknown verb ${verb}`);
  }
}

function print(verb: string, args: readonly string[], result: unknown): void {
  switch (verb) {
    case 'policy': {
      const p = result as PolicyView;
      out(
        `# ${p.agentId}: policy v${p.version}${p.version === 0 ? ' (central defaults)' : ` by ${p.createdBy} at ${p.createdAt}`}${p.paused ? ', PAUSED' : ''}`,
      );
      out(JSON.stringify(args[0] === 'set' ? p.overrides : p.policy, null, 2));
      return;
    }
    case 'pause':
      return printPause(result as PauseView, 'paused');
    case 'resume':
      return printPause(result as PauseView, 'resumed');
    case 'sessions': {
      const s = result as SessionView;
      out(`session ${s.id} started by ${s.startedBy} (${s.status}): the proposer takes it from here`);
      return;
    }
    case 'status': {
      const s = result as StatusView;
      out(
        `${s.agentId}: continuous mode ${s.continuousMode}${s.paused ? ` (by ${s.paused.by} at ${s.paused.at}: ${s.paused.reason ?? 'no reason'})` : ''}; live version ${s.liveVersionId ?? 'none'}; policy v${s.policyVersion}`,
      );
      out(
        `  next scheduled run: ${s.nextScheduledRunAt ?? 'none'} (${s.schedule.enabled ? `${s.schedule.cron} ${s.schedule.timezone}` : 'schedule off'})`,
      );
      out(
        `  thresholds: ${Object.entries(s.thresholds)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
      out(
        `  promotion: ${s.autoPromoteLowRisk ? 'automatic for low risk, approval otherwise' : 'approval for every change'}`,
      );
      out(
        `  open session: ${s.openSession ? `${s.openSession.id} (${s.openSession.trigger}, ${s.openSession.status})` : 'none'}`,
      );
      if (s.runningExperiment) printExperiment(s.runningExperiment);
      else out('  running experiment: none');
      return;
    }
    case 'experiments': {
      const list = result as ExperimentView[];
      if (list.length === 0) out('no experiments');
      list.forEach(printExperiment);
      return;
    }
    case 'approvals': {
      const list = result as ApprovalView[];
      if (list.length === 0) out('no approvals');
      list.forEach(printApproval);
      return;
    }
    default: {
      const { approval, applied } = result as { approval: ApprovalView; applied: boolean };
      if (!applied) out(`already decided before; the first decision stands:`);
      printApproval(approval);
    }
  }
}

export const controlVerbs = [
  'policy',
  'pause',
  'resume',
  'sessions',
  'status',
  'experiments',
  'approvals',
  'approve',
  'reject',
] as const;

/** One of the API verbs; returns the exit code. */
export async function controlCommand(verb: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h') {
    process.stdout.write(`${controlHelp}\n`);
    return 0;
  }
  try {
    const { values, positionals: rest } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    const result = await dispatch(apiClient(env), verb, rest, values as Values);
    if ((values as Values).json) out(JSON.stringify(result, null, 2));
    else print(verb, rest, result);
    return 0;
  } catch (err) {
    if (err instanceof ApiCallError) {
      process.stderr.write(`learnloop ${verb}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`learnloop ${verb}: ${(err as Error).message}\nsee learnloop ${verb} --help\n`);
      return 2;
    }
    throw err;
  }
}
