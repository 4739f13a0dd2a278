import { Counter, Gauge, type Registry } from 'prom-client';
import { experimentStatusSymbols } from '../../lib/contracts/types.generated.ts';
import { failSafeReasons, outcomes, type FailSafeReason, type Outcome } from './decide.pure.ts';

/**
 * The router's metrics. Every label is bounded: transport (http, grpc), outcome and reason from fixed lists, topic
 * from the two state topics, status from the Avro enum. Agent and run ids never become labels.
 */

export const transports = ['http', 'grpc', 'inprocess'] as const;
export type Transport = (typeof transports)[number];

export const requestErrors = ['bad_request', 'unauthorized'] as const;
export type RequestError = (typeof requestErrors)[number];

export const stateRecordResults = ['applied', 'superseded', 'undecodable'] as const;
export type StateRecordResult = (typeof stateRecordResults)[number];

/**
 * A count kept as a plain number on the hot path and handed to prom-client when /metrics is read: prom-client hashes
 * the label set on every inc(), even through labels(), which costs more than an assignment.
 */
export class Tally {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

/** Per registry and metric name, the tallies behind it (several routers in one registry add up). */
const tallies = new WeakMap<Registry, Map<string, Array<{ labels: Record<string, string>; tally: Tally }>>>();

function tallied<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
): (labels: Record<L, string>) => Tally {
  const byName = tallies.get(registry) ?? new Map<string, Array<{ labels: Record<string, string>; tally: Tally }>>();
  tallies.set(registry, byName);
  let entries = byName.get(name);
  if (entries === undefined) {
    const list: Array<{ labels: Record<string, string>; tally: Tally }> = [];
    entries = list;
    byName.set(name, list);
    new Counter<string>({
      name,
      help,
      labelNames: [...labelNames],
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, tally } of list) this.inc(labels, tally.value);
      },
    });
  }
  const list = entries;
  return (labels) => {
    const tally = new Tally();
    list.push({ labels, tally });
    return tally;
  };
}

export interface RouterMetrics {
  assignments: Record<Transport, Record<Outcome, Tally>>;
  failSafe: Record<FailSafeReason, Tally>;
  requestErrors: Record<Transport, Record<RequestError, Tally>>;
  stateRecords: (topic: string, result: StateRecordResult) => void;
  tagsEnqueued: Tally;
  tagsPublished: Tally;
  tagsDropped: Tally;
  tagPublishFailures: Tally;
  tagBuffer: Gauge;
  taggingAvailable: Gauge;
  stateAge: Gauge;
  experiments: Gauge<'status'>;
  registry: Registry;
}

/** prom-client refuses a second metric of one name in a registry; a second router in one process shares them. */
function shared<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

function byKey<K extends string, V>(keys: readonly K[], make: (key: K) => V): Record<K, V> {
  return Object.fromEntries(keys.map((k) => [k, make(k)])) as Record<K, V>;
}

export function routerMetrics(registry: Registry): RouterMetrics {
  const registers = [registry];
  const assignment = tallied(
    registry,
    'learnloop_router_assignments_total',
    'Runs answered, by transport and outcome (candidate, baseline, shadow, not_enrolled, fail_safe).',
    ['transport', 'outcome'],
  );
  const failSafe = tallied(
    registry,
    'learnloop_router_fail_safe_total',
    'Runs served the live version untagged because of a doubt, by reason.',
    ['reason'],
  );
  const requestError = tallied(
    registry,
    'learnloop_router_request_errors_total',
    'Requests refused: bad_request (400 / INVALID_ARGUMENT) or unauthorized (401 / UNAUTHENTICATED).',
    ['transport', 'reason'],
  );
  const stateRecords = shared(
    registry,
    'learnloop_router_state_records_total',
    () =>
      new Counter({
        name: 'learnloop_router_state_records_total',
        help: 'Records read from the state topics, by result: applied, superseded (not newer than the one held), undecodable.',
        labelNames: ['topic', 'result'],
        registers,
      }),
  );
  const counter = (name: string, help: string) => tallied(registry, name, help, [])({});
  const gauge = (name: string, help: string) => shared(registry, name, () => new Gauge({ name, help, registers }));
  return {
    assignments: byKey(transports, (transport) => byKey(outcomes, (outcome) => assignment({ transport, outcome }))),
    failSafe: byKey(failSafeReasons, (reason) => failSafe({ reason })),
    requestErrors: byKey(transports, (transport) =>
      byKey(requestErrors, (reason) => requestError({ transport, reason })),
    ),
    stateRecords: (topic, result) => stateRecords.inc({ topic, result }),
    tagsEnqueued: counter(
      'learnloop_router_tags_enqueued_total',
      'RunAssigned tags handed out with an answer and buffered for publishing.',
    ),
    tagsPublished: counter('learnloop_router_tags_published_total', 'RunAssigned tags Kafka acknowledged.'),
    tagsDropped: counter(
      'learnloop_router_tags_dropped_total',
      'Tags handed out but never published (buffer lost at shutdown while Kafka was unreachable).',
    ),
    tagPublishFailures: counter(
      'learnloop_router_tag_publish_failures_total',
      'Failed attempts to publish a batch of tags (the batch is kept and retried).',
    ),
    tagBuffer: gauge('learnloop_router_tag_buffer_tags', 'Tags waiting to be published.'),
    taggingAvailable: gauge(
      'learnloop_router_tagging_available',
      '1 while tags can be published (the router enrols runs), else 0.',
    ),
    stateAge: gauge(
      'learnloop_router_state_age_seconds',
      'Time since the router last confirmed it had read every state published (+Inf before the first time).',
    ),
    experiments: shared(
      registry,
      'learnloop_router_experiments',
      () =>
        new Gauge({
          name: 'learnloop_router_experiments',
          help: 'Experiments held, by status.',
          labelNames: ['status'],
          registers,
        }),
    ),
    registry,
  };
}

/** Sets the experiments-by-status gauge from the held experiments (called when metrics are read). */
export function countExperiments(metrics: RouterMetrics, statuses: Iterable<string>): void {
  const counts = new Map<string, number>(experimentStatusSymbols.map((s) => [s, 0]));
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  for (const [status, n] of counts) metrics.experiments.set({ status }, n);
}
