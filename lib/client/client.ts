import { randomUUID } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import type { RunCompleted, RunEvaluated } from '../contracts/types.generated.ts';
import { createRunEventsProducer, type RunEventsProducer, type RunEventsProducerOptions } from '../kafka/producer.ts';
import { createLogger, type Logger } from '../logging.ts';
import {
  type AssignInput,
  assignInputProblem,
  type ClientAssignment,
  type EvaluationReport,
  type FallbackReason,
  fallbackAssignment,
  fallbackReasons,
  type RunMeasures,
  type RunReport,
  type RunTags,
  runCompletedEvent,
  runEvaluatedEvent,
  runTags,
  shadowTags,
} from './assignment.pure.ts';
import { AssignFailure, grpcTransport, httpTransport, type RouterTransport } from './transport.ts';

/** learnloop/client: what an agent runtime needs to take part in experiments (docs/client.md). */

export interface LearnloopClientOptions {
  /** The router's HTTP base, e.g. http://127.0.0.1:7070. One of routerUrl and grpcAddress. */
  routerUrl?: string;
  /** The router's gRPC host:port, e.g. 127.0.0.1:7071. */
  grpcAddress?: string;
  /** The router's LEARNLOOP_ROUTER_TOKEN, if it has one. */
  token?: string;
  /** How long assign() waits for the router before serving the live version; 100 ms by default. */
  timeoutMs?: number;
  /** Where the reports go: the run events producer's options, or a producer of the caller's (connected by it). */
  events?: RunEventsProducerOptions | RunEventsProducer;
  /** learnloop_client_fallbacks_total{reason} is registered here when given. */
  metrics?: Registry;
  /** Fallbacks are logged here (at most once per reason every 10 s); by default JSON lines on stderr. */
  logger?: Logger;
}

/** What one execution of an agent version produced: its output and what it cost. */
export interface RunOutcome<T> extends RunMeasures {
  output: T;
}

export interface Evaluation {
  evaluatorId: string;
  score: number;
  passed: boolean;
  failureCategories?: string[];
}

/** The events a shadow execution was reported with; its output is deliberately not here. */
export interface ShadowReport {
  completed: RunCompleted;
  evaluated: RunEvaluated | null;
}

export interface LearnloopClient {
  /** The version to serve and its tags. Never rejects for anything the router does: see `fallback`. */
  assign(input: AssignInput): Promise<ClientAssignment>;
  /** Publishes agent.run.completed.v1 with the run's tags; resolves with the event once Kafka has it. */
  reportRun(run: ClientAssignment | RunTags, report: RunReport): Promise<RunCompleted>;
  /** Publishes agent.run.evaluated.v1 with the run's tags. */
  reportEvaluation(run: ClientAssignment | RunTags, report: EvaluationReport): Promise<RunEvaluated>;
  /**
   * Runs the assignment's shadow version on the same input (`execute` closes over it) and reports it as arm
   * `shadow` with the same runId, evaluated by `evaluate` if given; null when the assignment has no shadow. Never
   * returns the output. A throwing `execute` is the candidate failing: reported as a `failed` run.
   */
  runShadow<T>(
    assignment: ClientAssignment,
    execute: (versionId: string) => RunOutcome<T> | Promise<RunOutcome<T>>,
    evaluate?: (output: T) => Evaluation | Promise<Evaluation>,
  ): Promise<ShadowReport | null>;
  /** The fallbacks so far, by reason. */
  fallbacks(): Record<FallbackReason, number>;
  close(): Promise<void>;
}

const FALLBACKS_METRIC = 'learnloop_client_fallbacks_total';

const isAssignment = (run: ClientAssignment | RunTags): run is ClientAssignment => 'fallback' in run;

export function createLearnloopClient(options: LearnloopClientOptions): LearnloopClient {
  if ((options.routerUrl === undefined) === (options.grpcAddress === undefined)) {
    throw new Error('createLearnloopClient: give one of routerUrl and grpcAddress');
  }
  const timeoutMs = options.timeoutMs ?? 100;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new Error('timeoutMs: must be a positive number');
  const transport: RouterTransport =
    options.routerUrl !== undefined
      ? httpTransport(options.routerUrl, options.token)
      : grpcTransport(options.grpcAddress!, options.token);
  const logger = options.logger ?? createLogger({ level: 'warn', write: (line) => process.stderr.write(line) });
  const counts = Object.fromEntries(fallbackReasons.map((r) => [r, 0])) as Record<FallbackReason, number>;
  // Several clients of one process (one per router, say) count into one metric.
  const counter =
    options.metrics === undefined
      ? undefined
      : ((options.metrics.getSingleMetric(FALLBACKS_METRIC) as Counter<'reason'> | undefined) ??
        new Counter({
          name: FALLBACKS_METRIC,
          help: "assign() answers that served the caller's live version without the router's answer, by reason",
          labelNames: ['reason'],
          registers: [options.metrics],
        }));
  const lastLogged = new Map<FallbackReason, number>();

  function fellBack(input: AssignInput, reason: FallbackReason, err?: unknown): ClientAssignment {
    counts[reason] += 1;
    counter?.inc({ reason });
    const now = Date.now();
    if (now - (lastLogged.get(reason) ?? 0) > 10_000) {
      lastLogged.set(reason, now);
      logger.warn('serving the live version without the router', { reason, agentId: input.agentId, err });
    }
    return fallbackAssignment(input, reason);
  }

  // The producer is made, and connected, on the first report: a client that only assigns needs no Kafka.
  let producer: Promise<RunEventsProducer> | undefined;
  const events = options.events;
  function ready(): Promise<RunEventsProducer> {
    if (events === undefined) {
      return Promise.reject(new Error('reporting needs the `events` option (brokers and registryUrl)'));
    }
    producer ??=
      'sendRunCompleted' in events
        ? Promise.resolve(events)
        : (async () => {
            const made = createRunEventsProducer(events);
            await made.connect();
            return made;
          })();
    return producer;
  }
  const tagsOf = (run: ClientAssignment | RunTags): RunTags => (isAssignment(run) ? runTags(run) : run);

  async function reportRun(run: ClientAssignment | RunTags, report: RunReport): Promise<RunCompleted> {
    const event = runCompletedEvent(tagsOf(run), report, randomUUID());
    await (await ready()).sendRunCompleted(event);
    return event;
  }

  async function reportEvaluation(run: ClientAssignment | RunTags, report: EvaluationReport): Promise<RunEvaluated> {
    const event = runEvaluatedEvent(tagsOf(run), report, randomUUID(), new Date());
    await (await ready()).sendRunEvaluated(event);
    return event;
  }

  return {
    async assign(input) {
      const problem = assignInputProblem(input);
      if (problem !== null) throw new TypeError(problem);
      try {
        const answer = await transport.assign(input, timeoutMs);
        return answer.fallback === null ? answer : fellBack(input, answer.fallback);
      } catch (err) {
        return fellBack(input, err instanceof AssignFailure ? err.reason : 'internal_error', err);
      }
    },

    reportRun,
    reportEvaluation,

    async runShadow(assignment, execute, evaluate) {
      const tags = shadowTags(assignment);
      if (tags === null) return null;
      const startedAt = new Date();
      let outcome: Awaited<ReturnType<typeof execute>> | undefined;
      try {
        outcome = await execute(tags.agentVersionId);
      } catch (err) {
        logger.warn('shadow execution failed', { agentId: tags.agentId, runId: tags.runId, err });
      }
      const completedAt = new Date();
      if (outcome === undefined) {
        return { completed: await reportRun(tags, { status: 'failed', startedAt, completedAt }), evaluated: null };
      }
      const { output, ...measures } = outcome;
      const completed = await reportRun(tags, { ...measures, startedAt, completedAt });
      if (evaluate === undefined) return { completed, evaluated: null };
      return { completed, evaluated: await reportEvaluation(tags, await evaluate(output)) };
    },

    fallbacks: () => ({ ...counts }),

    async close() {
      transport.close();
      if (producer !== undefined && events !== undefined && !('sendRunCompleted' in events)) {
        await (await producer).disconnect();
      }
    },
  };
}
