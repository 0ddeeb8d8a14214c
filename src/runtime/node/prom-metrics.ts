import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HealthState } from '../../router/health-snapshot.js';
import type { Logger } from '../../spec/logger.js';
import type { RequestTelemetry, Telemetry, TelemetrySources } from '../../telemetry/telemetry.js';

const BREAKER_STATES: readonly HealthState[] = [
  'degraded',
  'open',
  'half_open',
  'rate_limited',
  'disabled',
  'model_unavailable',
];
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const FIRST_BYTE_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const NO_ATTEMPT = { headers: {}, failed() {}, committed() {} };

/**
 * The gateway's Prometheus metrics on a registry of their own (docs/monitoring.md lists them).
 * Label values arrive already bounded (src/telemetry/labels.ts).
 */
export function createPromMetrics(logger: Logger): Telemetry {
  const registry = new Registry();
  // Unprefixed, as the common Node.js dashboards expect (process_*, nodejs_*).
  collectDefaultMetrics({ register: registry });
  const on = { registers: [registry] };
  const requests = new Counter({
    name: 'switchboard_requests_total',
    help: 'Client requests by route, model, channel and HTTP status',
    labelNames: ['route', 'model', 'channel', 'status'],
    ...on,
  });
  const latency = new Histogram({
    name: 'switchboard_request_duration_seconds',
    help: 'Time from the request to the end of its answer (streams: the last event)',
    labelNames: ['route', 'model', 'channel'],
    buckets: LATENCY_BUCKETS,
    ...on,
  });
  const firstByte = new Histogram({
    name: 'switchboard_upstream_first_byte_seconds',
    help: 'Time from sending the committed attempt to its first byte',
    labelNames: ['route', 'model', 'channel'],
    buckets: FIRST_BYTE_BUCKETS,
    ...on,
  });
  const attempts = new Counter({
    name: 'switchboard_upstream_attempts_total',
    help: 'Upstream attempts by channel and outcome',
    labelNames: ['channel', 'outcome'],
    ...on,
  });
  const tokens = new Counter({
    name: 'switchboard_tokens_total',
    help: 'Tokens by model, user, key and type (input or output)',
    labelNames: ['model', 'user', 'key', 'type'],
    ...on,
  });
  const cost = new Counter({
    name: 'switchboard_cost_total',
    help: 'Cost of requests by model, user and key, in the price table currency',
    labelNames: ['model', 'user', 'key'],
    ...on,
  });
  const cache = new Counter({
    name: 'switchboard_cache_lookups_total',
    help: 'Response cache lookups by route and result (hit or miss)',
    labelNames: ['route', 'result'],
    ...on,
  });
  const refusals = new Counter({
    name: 'switchboard_limit_refusals_total',
    help: 'Requests refused by a key or user limit, by kind',
    labelNames: ['kind'],
    ...on,
  });
  let sources: TelemetrySources | null = null;
  new Gauge({
    name: 'switchboard_breaker_targets',
    help: 'Upstream targets (channel key and model) not fully healthy, by channel and state',
    labelNames: ['channel', 'state'],
    ...on,
    async collect() {
      this.reset();
      if (!sources) return;
      try {
        const { channels, entries } = await sources.breakers();
        for (const channel of channels) for (const state of BREAKER_STATES) this.set({ channel, state }, 0);
        for (const entry of entries) this.inc({ channel: entry.channel, state: entry.state });
      } catch (err) {
        logger.warn({ err: String(err) }, 'metrics: router health could not be read');
      }
    },
  });
  new Gauge({
    name: 'switchboard_usage_writer_pending',
    help: 'Usage records buffered and not yet written to the usage log',
    ...on,
    collect() {
      this.set(sources ? sources.usageBacklog() : 0);
    },
  });

  new Gauge({
    name: 'switchboard_shared_state_degraded',
    help: 'Parts of the shared state (as GET /health names them) working per process: 1 while degraded',
    labelNames: ['part'],
    ...on,
    async collect() {
      this.reset();
      if (!sources?.degraded) return;
      try {
        for (const { part, degraded } of await sources.degraded()) this.set({ part }, degraded ? 1 : 0);
      } catch (err) {
        logger.warn({ err: String(err) }, 'metrics: health checks could not be read');
      }
    },
  });

  // prom-client hashes and checks a label object on every call; a series' child, kept per label
  // tuple (few, by the label policy), is looked up once.
  const perRoute = memo((route: string, model: string, channel: string) => ({
    latency: latency.labels(route, model, channel),
    firstByte: firstByte.labels(route, model, channel),
    byStatus: new Map<string, ReturnType<typeof requests.labels>>(),
  }));
  const perAttempt = memo((channel: string, outcome: string) => attempts.labels(channel, outcome));
  const perWho = memo((model: string, user: string, key: string) => ({
    input: tokens.labels(model, user, key, 'input'),
    output: tokens.labels(model, user, key, 'output'),
    cost: cost.labels(model, user, key),
  }));
  const request: RequestTelemetry = {
    attempt: () => NO_ATTEMPT,
    refused(kind) {
      refusals.inc({ kind });
    },
    end(_record, o) {
      const series = perRoute(o.route, o.model, o.channel);
      let byStatus = series.byStatus.get(o.status);
      if (byStatus === undefined) {
        byStatus = requests.labels(o.route, o.model, o.channel, o.status);
        series.byStatus.set(o.status, byStatus);
      }
      byStatus.inc();
      series.latency.observe(o.latencySeconds);
      if (o.firstByteSeconds !== null && o.cache !== 'hit') series.firstByte.observe(o.firstByteSeconds);
      for (const a of o.attempts) perAttempt(a.channel, a.outcome).inc();
      const who = perWho(o.model, o.user, o.key);
      if (o.inputTokens > 0) who.input.inc(o.inputTokens);
      if (o.outputTokens > 0) who.output.inc(o.outputTokens);
      if (o.cost !== null && o.cost > 0) who.cost.inc(o.cost);
      if (o.cache !== 'bypass') cache.labels(o.route, o.cache).inc();
    },
  };
  return {
    request: () => request,
    exposition: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
    watch(watched) {
      sources = watched;
    },
    close: async () => {},
  };
}

/** Caches `make`'s result per argument tuple. */
function memo<A extends string[], T>(make: (...parts: A) => T): (...parts: A) => T {
  const cache = new Map<string, T>();
  return (...parts) => {
    const id = parts.join('\u0001');
    let found = cache.get(id);
    if (found === undefined) {
      found = make(...parts);
      cache.set(id, found);
    }
    return found;
  };
}
