// Prometheus metrics: one registry per server, so tests and several apps in one process do not collide.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  captures: Counter<'operation' | 'result'>;
  captureDuration: Histogram<'result'>;
  rejectedRequests: Counter<'reason'>;
  storeWriteDuration: Histogram;
  storeBatchSize: Histogram;
  storeErrors: Counter<'operation'>;
  eventsLost: Counter<'reason'>;
  captureRefused: Counter<'reason'>;
  connectionsRefused: Counter<'listener'>;
  liveStreams: Gauge;
  liveStreamsRefused: Counter<'limit'>;
  eventsPruned: Counter<'reason'>;
  denials: Counter<'lock'>;
  oversizedReviews: Counter;
  ruleSkips: Counter<'rule'>;
  ruleErrors: Counter<'rule'>;
  eventStates: Counter<'state'>;
  oldestPendingSeconds: Gauge;
  logBacklogBytes: Gauge;
  logBacklogRecords: Gauge;
  logOldestRecordSeconds: Gauge;
  logBytes: Gauge;
  /** Where the commit log's gauges read their values when scraped (set by serve once the log is open). */
  logHealth: { source?: () => LogBacklog };
}

/** The commit log's numbers the gauges show (log/logged-store.ts LogHealth has them). */
export interface LogBacklog {
  backlogBytes: number;
  backlogRecords: number;
  oldestRecordSeconds: number;
  logBytes: number;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'logistis_' });
  const registers = [registry];
  const logHealth: { source?: () => LogBacklog } = {};
  const logGauge = (name: string, help: string, field: keyof LogBacklog) => new Gauge({
    name, help, registers,
    collect() {
      if (logHealth.source) this.set(logHealth.source()[field]);
    },
  });
  return {
    logHealth,
    logBacklogBytes: logGauge('logistis_log_backlog_bytes', 'Bytes of the commit log appended (acknowledged) but not yet in the store', 'backlogBytes'),
    logBacklogRecords: logGauge('logistis_log_backlog_records', 'Records of the commit log appended (acknowledged) but not yet in the store', 'backlogRecords'),
    logOldestRecordSeconds: logGauge('logistis_log_oldest_record_seconds', 'Age of the oldest commit log record not yet in the store (0: none)', 'oldestRecordSeconds'),
    logBytes: logGauge('logistis_log_bytes', 'Bytes the commit log holds on disk (its limit: --max-log-bytes)', 'logBytes'),
    registry,
    captures: new Counter({
      name: 'logistis_captures_total',
      help: 'Admission requests handled, by operation and result (recorded, skipped-<reason>, failed)',
      labelNames: ['operation', 'result'],
      registers,
    }),
    captureDuration: new Histogram({
      name: 'logistis_capture_duration_seconds',
      help: 'Time from receiving an AdmissionReview to answering it, including the durable commit',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    rejectedRequests: new Counter({
      name: 'logistis_capture_rejected_total',
      help: 'Capture requests answered with 4xx because the body was not a usable AdmissionReview',
      labelNames: ['reason'],
      registers,
    }),
    storeWriteDuration: new Histogram({
      name: 'logistis_store_write_duration_seconds',
      help: 'Time to commit one batch of events durably',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    storeBatchSize: new Histogram({
      name: 'logistis_store_batch_size',
      help: 'Events committed together in one transaction (group commit)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048],
      registers,
    }),
    storeErrors: new Counter({
      name: 'logistis_store_errors_total',
      help: 'Store operations that failed',
      labelNames: ['operation'],
      registers,
    }),
    eventsLost: new Counter({
      name: 'logistis_events_lost_total',
      help: 'Changes that were allowed but end unrecorded, by reason (log-full, log-error, store-error, store-error-after-timeout, capture-error, store-file-gone); the logs name each one',
      labelNames: ['reason'],
      registers,
    }),
    captureRefused: new Counter({
      name: 'logistis_capture_refused_total',
      help: 'Capture requests refused because the caller is not the API server (no-client-certificate, untrusted-certificate, name-not-allowed)',
      labelNames: ['reason'],
      registers,
    }),
    connectionsRefused: new Counter({
      name: 'logistis_connections_refused_total',
      help: "Connections closed on arrival because the listener's cap was reached (listener main: --max-connections, capture: --capture-max-connections)",
      labelNames: ['listener'],
      registers,
    }),
    liveStreams: new Gauge({
      name: 'logistis_live_streams',
      help: 'Live-update streams (/api/v1/events/live) open now',
      registers,
    }),
    liveStreamsRefused: new Counter({
      name: 'logistis_live_streams_refused_total',
      help: 'Live-update streams refused with 429, by the cap that was full (server: --max-live-streams, user: --max-live-streams-per-user)',
      labelNames: ['limit'],
      registers,
    }),
    eventsPruned: new Counter({
      name: 'logistis_events_pruned_total',
      help: 'Events removed by retention, by reason (per-object, age)',
      labelNames: ['reason'],
      registers,
    }),
    denials: new Counter({
      name: 'logistis_denials_total',
      help: 'Admission requests denied by a Lock',
      labelNames: ['lock'],
      registers,
    }),
    oversizedReviews: new Counter({
      name: 'logistis_oversized_reviews_total',
      help: 'AdmissionReviews larger than --max-body-bytes: answered, and recorded from their metadata only (the event is marked oversized)',
      registers,
    }),
    ruleSkips: new Counter({
      name: 'logistis_rule_skips_total',
      help: 'Admission requests not recorded because of a capture rule, by the rule that decided',
      labelNames: ['rule'],
      registers,
    }),
    ruleErrors: new Counter({
      name: 'logistis_rule_errors_total',
      help: "Requests on which a capture rule's CEL expression failed (the rule then did not match)",
      labelNames: ['rule'],
      registers,
    }),
    eventStates: new Counter({
      name: 'logistis_event_states_total',
      help: 'Provenance decisions: events confirmed by the watch, judged not-applied, and unattributed changes recorded',
      labelNames: ['state'],
      registers,
    }),
    oldestPendingSeconds: new Gauge({
      name: 'logistis_oldest_pending_event_seconds',
      help: 'Age of the oldest event the watch has neither confirmed nor judged not-applied (0: none pending)',
      registers,
    }),
  };
}

/** Store callbacks that feed the write metrics. */
export function storeMetricsHooks(metrics: Metrics) {
  return {
    onCommit(batchSize: number, seconds: number, prunedPerObject: number): void {
      metrics.storeBatchSize.observe(batchSize);
      metrics.storeWriteDuration.observe(seconds);
      if (prunedPerObject > 0) metrics.eventsPruned.inc({ reason: 'per-object' }, prunedPerObject);
    },
  };
}

/** A plain-HTTP server with only GET /metrics, for --metrics-listen (an address only Prometheus reaches). */
export function createMetricsServer(metrics: Metrics): Server {
  return createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'only GET /metrics is served here' }));
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
}
